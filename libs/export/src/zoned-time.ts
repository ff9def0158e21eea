/**
 * Time-zone arithmetic without a library: Intl knows every IANA zone's offsets. Offsets change only
 * at transitions on quarter-hour boundaries, so one lookup per quarter hour serves a whole export.
 */
const QUARTER_HOUR = 15 * 60_000;
const DAY = 86_400_000;
/** 1970-01-01 as an Excel (1900 date system) serial day. */
const EXCEL_EPOCH_DAYS = 25_569;

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone's IANA name as Intl resolves it (`asia/seoul` → `Asia/Seoul`); the name must be valid. */
export function canonicalTimeZone(name: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
}

export class Zone {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();
  private lastBucket = NaN;
  private lastOffset = 0;

  constructor(readonly name: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Offset from UTC in ms at this instant (local = utc + offset). */
  offsetAt(ms: number): number {
    const bucket = Math.floor(ms / QUARTER_HOUR);
    // Consecutive times of an export are mostly close together: the last bucket answers most asks.
    if (bucket === this.lastBucket) return this.lastOffset;
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      offset = this.computeOffset(bucket * QUARTER_HOUR);
      if (this.offsets.size > 200_000) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    this.lastBucket = bucket;
    this.lastOffset = offset;
    return offset;
  }

  private computeOffset(ms: number): number {
    const p: Record<string, number> = {};
    for (const part of this.format.formatToParts(new Date(ms))) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return local - (ms - (ms % 1000));
  }

  /**
   * The first instant of the local calendar day `YYYY-MM-DD`: its midnight under one of the
   * offsets in effect around it (the earlier, where a fall-back repeats it), or, where a
   * spring-forward skips midnight (America/Santiago, America/Havana), the transition itself.
   */
  startOfDay(date: string): number {
    const [y, m, d] = date.split('-').map(Number);
    const wall = Date.UTC(y, m - 1, d);
    const offsets = [this.offsetAt(wall - DAY), this.offsetAt(wall), this.offsetAt(wall + DAY)];
    let start = Infinity;
    for (const offset of offsets) {
      const instant = wall - offset;
      if (instant + this.offsetAt(instant) === wall) start = Math.min(start, instant);
    }
    // No midnight: the day begins where the old offset would have reached it.
    return start === Infinity ? wall - Math.min(...offsets) : start;
  }

  /**
   * Excel serial day number of the local wall time of an instant, to the whole second. Excel and
   * LibreOffice show `hh:mm:ss` rounded to the nearest second, so a cell keeping the milliseconds
   * would show 23:59:59.600 as the next day's 00:00:00: the cell holds the second the instant is in.
   */
  excelSerial(ms: number): number {
    const local = ms + this.offsetAt(ms);
    return (local - (((local % 1000) + 1000) % 1000)) / DAY + EXCEL_EPOCH_DAYS;
  }

  /** `yyyy-mm-dd hh:mm:ss` local wall time, for text such as the Export info sheet. */
  formatLocal(ms: number): string {
    return new Date(ms + this.offsetAt(ms)).toISOString().slice(0, 19).replace('T', ' ');
  }
}

/** Calendar arithmetic on `YYYY-MM-DD` strings. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The same day number `months` later, or that month's last day when it has no such day. */
export function addMonthsClamped(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const lastDay = new Date(Date.UTC(y, m - 1 + months + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m - 1 + months, Math.min(d, lastDay))).toISOString().slice(0, 10);
}

export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number);
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}
