/** The series' buckets (dashboard.md, "series"): calendar days, weeks from Monday, or months. */

export const INTERVALS = ['day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

const DAY_MS = 86_400_000;

function parse(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y, m - 1, d);
}

function format(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The first day of the bucket that holds the calendar day `date` (YYYY-MM-DD). */
export function bucketStart(date: string, interval: Interval): string {
  switch (interval) {
    case 'day':
      return date;
    case 'week': {
      const ms = parse(date);
      // getUTCDay: Sunday 0 … Saturday 6; a week starts on Monday.
      return format(ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS);
    }
    case 'month':
      return `${date.slice(0, 7)}-01`;
    default: {
      const _exhaustive: never = interval;
      throw new Error(`unknown interval ${String(_exhaustive)}`);
    }
  }
}

function nextStart(start: string, interval: Interval): string {
  if (interval === 'month') {
    const [y, m] = start.split('-').map(Number);
    return format(Date.UTC(y, m, 1));
  }
  return format(parse(start) + (interval === 'week' ? 7 : 1) * DAY_MS);
}

/** Every bucket's first day, in order, from the one holding `from` to the one holding `to`. */
export function bucketStarts(from: string, to: string, interval: Interval): string[] {
  const starts: string[] = [];
  for (let s = bucketStart(from, interval); s <= to; s = nextStart(s, interval)) starts.push(s);
  return starts;
}
