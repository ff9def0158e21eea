import { EventErrorCode, EventValidationError } from './event.error';
import { daysFromCivil } from './civil-date';

/** Small typed readers over untrusted JSON; each failure names the field's path. */
export type Json = Record<string, unknown>;

export function fail(code: EventErrorCode, path: string, expected: string, got?: unknown): never {
  const seen = got === undefined ? 'missing' : `got ${describe(got)}`;
  throw new EventValidationError(code, `${path}: expected ${expected}, ${seen}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return quoted(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

/** A value from outside as a reason may show it: its first 40 characters, escaped (JSON.stringify escapes NUL and lone surrogates). */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/** The longest reason a dead letter carries. */
export const MAX_REASON_LENGTH = 300;

/** A reason as stored and sent: bounded, and text PostgreSQL accepts (no NUL, no unpaired surrogate). */
export function boundedReason(reason: string): string {
  const text = reason.replaceAll('\u0000', '\\0');
  const cut = text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
  // The cut may split a pair: toWellFormed turns its half into U+FFFD.
  return (cut as string & { toWellFormed(): string }).toWellFormed();
}

/** PostgreSQL text cannot hold NUL, and JSON with a lone surrogate is not valid UTF-8: refuse both at the edge. */
export function storableText(value: string): boolean {
  return !value.includes('\u0000') && (value as string & { isWellFormed(): boolean }).isWellFormed();
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export class FieldReader {
  constructor(
    private readonly code: EventErrorCode,
    private readonly obj: Json,
    private readonly path: string,
  ) {}

  private at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  str(key: string, min = 0, max = Infinity): string {
    const v = this.obj[key];
    if (typeof v !== 'string') fail(this.code, this.at(key), 'a string', v);
    if (!storableText(v)) fail(this.code, this.at(key), 'text without NUL characters or unpaired surrogates', v);
    // Limits count characters (code points), as the contract says: a string over `max` UTF-16 units
    // may still be within it (an emoji is two); a non-empty one always has a character.
    if (v.length < min || (v.length > max && codePoints(v) > max)) {
      fail(this.code, this.at(key), `a string of ${min} to ${max === Infinity ? 'any number of' : max} characters`, v);
    }
    return v;
  }

  optStr(key: string): string | undefined {
    return this.has(key) ? this.str(key) : undefined;
  }

  nullableStr(key: string): string | null {
    if (this.obj[key] === null) return null;
    return this.str(key);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.obj[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      fail(this.code, this.at(key), `one of ${allowed.join(', ')}`, v);
    }
    return v as T;
  }

  optOneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    return this.has(key) ? this.oneOf(key, allowed) : fallback;
  }

  obj_(key: string): FieldReader {
    const v = this.obj[key];
    if (!isObject(v)) fail(this.code, this.at(key), 'an object', v);
    return new FieldReader(this.code, v, this.at(key));
  }

  optObj(key: string): FieldReader | undefined {
    return this.has(key) ? this.obj_(key) : undefined;
  }

  nullableObj(key: string): FieldReader | null {
    if (this.obj[key] === null) return null;
    return this.obj_(key);
  }

  array(key: string): unknown[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) fail(this.code, this.at(key), 'an array', v);
    return v;
  }

  each<T>(key: string, read: (item: FieldReader) => T): T[] {
    return this.array(key).map((item, i) => {
      const path = `${this.at(key)}[${i}]`;
      if (!isObject(item)) fail(this.code, path, 'an object', item);
      return read(new FieldReader(this.code, item, path));
    });
  }

  strings(key: string): string[] {
    return this.array(key).map((item, i) => {
      if (typeof item !== 'string' || !storableText(item)) fail(this.code, `${this.at(key)}[${i}]`, 'a string', item);
      return item;
    });
  }

  instant(key: string): number {
    const v = this.obj[key];
    const ms = typeof v === 'string' ? parseInstant(v) : undefined;
    if (ms === undefined) fail(this.code, this.at(key), 'an ISO-8601 instant with Z or an offset', v);
    return ms;
  }

  optInstant(key: string): number | undefined {
    return this.has(key) ? this.instant(key) : undefined;
  }

  entries(): [string, unknown][] {
    return Object.entries(this.obj);
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  pathOf(key: string): string {
    return this.at(key);
  }
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];


/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ`, the layout the platform sends, read by arithmetic: every event
 * carries one and the projector reads millions. Anything else takes the general path.
 */
function fastInstant(t: string): number | undefined {
  if (t.length !== 24 || t.charCodeAt(23) !== 90 /* Z */ || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84) return undefined;
  if (t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58 || t.charCodeAt(19) !== 46) return undefined;
  for (let k = 0; k < DIGIT_POSITIONS.length; k++) {
    const c = t.charCodeAt(DIGIT_POSITIONS[k]);
    if (c < 48 || c > 57) return undefined;
  }
  const y = two(t, 0) * 100 + two(t, 2);
  const mo = two(t, 5);
  const d = two(t, 8);
  const h = two(t, 11);
  const mi = two(t, 14);
  const s = two(t, 17);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]) || h > 23 || mi > 59 || s > 59) return undefined;
  return (daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s) * 1000 + digit(t, 20) * 100 + digit(t, 21) * 10 + digit(t, 22);
}

/** ISO-8601 instant → epoch ms; digits past the millisecond are dropped, impossible dates refused. */
export function parseInstant(text: string): number | undefined {
  const fast = fastInstant(text);
  if (fast !== undefined) return fast;
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac ? Number(frac.slice(1, 4).padEnd(3, '0')) : 0;
  // Not Date.UTC(y, …): it reads years 0–99 as 1900–1999.
  const check = new Date(Date.UTC(2000, 0, 1, +h, +mi, +s, ms));
  check.setUTCFullYear(+y, +mo - 1, +d);
  const local = check.getTime();
  if (check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) {
    return undefined;
  }
  if (zone === 'Z') return local;
  const [offsetHours, offsetMinutes] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const sign = zone[0] === '+' ? 1 : -1;
  return local - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}
