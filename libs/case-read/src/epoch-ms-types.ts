import { types, type CustomTypesConfig } from 'pg';
import { daysFromCivil } from '@casestats/events';

const TIMESTAMPTZ = 1184;
const defaultTimestamptz = types.getTypeParser(TIMESTAMPTZ, 'text') as (text: string) => Date | number;

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/**
 * `YYYY-MM-DD HH:MM:SS[.f…]+00` (what PostgreSQL prints for timestamptz when TimeZone is UTC) to
 * epoch milliseconds, without a regular expression or a Date per value: an export reads seven of
 * these per row. Anything else (other years, offsets, infinity) goes through pg's own parser.
 */
export function parseUtcTimestamp(s: string): number {
  const n = s.length;
  if (n >= 22 && n <= 29 && n !== 23 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(10) === 32 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58 && s.endsWith('+00')) {
    // ".f" … ".ffffff" between the seconds and "+00": milliseconds are its first three digits, padded.
    const fraction = n - 23;
    const ms = fraction > 0 ? digit(s, 20) * 100 + (fraction > 1 ? digit(s, 21) * 10 : 0) + (fraction > 2 ? digit(s, 22) : 0) : 0;
    const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
    const month = two(s, 5);
    const day = two(s, 8);
    const hour = two(s, 11);
    const minute = two(s, 14);
    const second = two(s, 17);
    if (year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second < 60) {
      return (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + ms;
    }
  }
  const parsed = defaultTimestamptz(s);
  return typeof parsed === 'number' ? parsed : parsed.getTime();
}

/** pg type parsers for export reads: timestamptz as epoch milliseconds, everything else as pg does it. */
export const EPOCH_MS_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ && format !== 'binary' ? parseUtcTimestamp : types.getTypeParser(oid, format ?? 'text')) as CustomTypesConfig['getTypeParser'],
};
