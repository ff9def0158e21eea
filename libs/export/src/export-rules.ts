import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { AppError, ErrorCode, FieldProblem } from '@casestats/config';
import { CaseSelection } from '@casestats/read-model';
import { CaseQueryDto, ExportRequestDto } from './export-request.dto';
import { isWellFormedText } from './well-formed-text';
import { Zone, addDays, addMonthsClamped, canonicalTimeZone, isCalendarDate, isTimeZone } from './zoned-time';

export interface ExportRules {
  /** The day case statistics started; nothing earlier can be asked for. */
  statsStartDate: string;
  defaultTimezone: string;
}

export type ExportFilters = Omit<CaseSelection, 'channelId' | 'from' | 'toExclusive'>;

/** Which cases, validated: the dashboard's query, and the part of an export request that selects. */
export interface ValidCaseQuery {
  channelId: string;
  from: string;
  to: string;
  timezone: string;
  filters: ExportFilters;
  selection: CaseSelection;
}

export interface ValidExportRequest extends ValidCaseQuery {
  reason: string;
  /** Only in memory, for the run of the export: never stored or logged. */
  password: string;
}

export const FILTER_KEYS = ['teamIds', 'assigneeIds', 'tags', 'mediumNames', 'directions', 'caseStates', 'userChatStates'] as const;

/** The last day a date may name: the format has four digits of year. */
export const LAST_DATE = '9999-12-31';

/** The latest `to` allowed for a `from`: six months on, clamped to the month's end and to LAST_DATE. */
export function latestTo(from: string): string {
  const to = addMonthsClamped(from, 6);
  // Past year 9999 the ISO form is "+010000-…", which also compares below any four-digit date.
  return to.startsWith('+') || to > LAST_DATE ? LAST_DATE : to;
}

/** Keys that would reach an object's prototype: refused wherever they stand, like any unknown key. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** body (0) → filters (1) → a list (2) → its strings (3): no object or list lies at depth 3 or deeper. */
const MAX_DEPTH = 3;
/** Spaces, format characters (zero-width, bidi marks), controls and the blank letters of Hangul and Braille. */
const INVISIBLE = /[\s\p{Cf}\p{Cc}\p{Z}\u115f\u1160\u3164\uffa0\u2800]/gu;
/** A reason may span lines; no other control character belongs in it (PostgreSQL refuses NUL). */
const REASON_CONTROLS = /(?![\t\n\r])\p{Cc}/u;
const MAX_REASON = 500;

/**
 * Keys that reach a prototype and nesting deeper than a request has, found without recursion:
 * class-transformer recurses into whatever it is given (a body nested ~2,000 deep overflowed the
 * stack) and skips `__proto__` silently (a filter under it was dropped while the audit showed it).
 */
function structuralProblems(body: object): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: { value: object; path: string; depth: number }[] = [{ value: body, path: '', depth: 0 }];
  for (let next = stack.pop(); next && problems.length < 10; next = stack.pop()) {
    const { value, path, depth } = next;
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      const child = (value as Record<string, unknown>)[key];
      if (PROTOTYPE_KEYS.has(key)) {
        problems.push({ field, code: 'EXPORT.INVALID_REQUEST', message: path === 'filters' || path === '' ? unknownKey(field, path) : `${field} is not allowed` });
      } else if (child !== null && typeof child === 'object') {
        if (depth + 1 >= MAX_DEPTH) {
          problems.push({ field, code: 'EXPORT.INVALID_REQUEST', message: `${field} is nested deeper than an export request goes` });
        } else stack.push({ value: child, path: field, depth: depth + 1 });
      }
    }
  }
  return problems;
}

/**
 * Every refusal rule of export.md that can be checked without the database, all at once, so
 * the user sees each field that is wrong. Throws an AppError naming the fields.
 */
export function validateExportRequest(channelId: string, body: unknown, rules: ExportRules): ValidExportRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('EXPORT.INVALID_REQUEST', 'the export request must be a JSON object');
  }
  const structural = structuralProblems(body);
  if (structural.length) throw new AppError('EXPORT.INVALID_REQUEST', structural.map((p) => p.message).join('; '), structural);
  const dto = plainToInstance(ExportRequestDto, body);
  // An unknown key is refused, not ignored: a misspelt filter ("teamId") would export the whole channel.
  const problems: FieldProblem[] = flattenProblems(validateSync(dto, { forbidUnknownValues: false, whitelist: true, forbidNonWhitelisted: true }));
  const has = (field: string) => problems.some((p) => p.field === field);
  const add = (field: string, code: ErrorCode, message: string) => problems.push({ field, code, message });

  rangeProblems(dto, rules, problems);
  const reason = typeof dto.reason === 'string' ? dto.reason.trim() : '';
  if (!has('reason')) {
    // Characters, as the events count them, not UTF-16 units: 500 emoji are 500 characters.
    const length = [...reason].length;
    if (reason.replace(INVISIBLE, '') === '' || length > MAX_REASON) {
      add('reason', 'EXPORT.BAD_REASON', `reason is required: 1 to ${MAX_REASON} characters (after trimming spaces), not only invisible ones`);
    } else if (REASON_CONTROLS.test(reason)) {
      add('reason', 'EXPORT.BAD_REASON', 'reason must have no control characters other than line breaks and tabs');
    } else if (!isWellFormedText(reason)) {
      // Refused, not stored as U+FFFD: the audit would then keep a reason no one gave.
      add('reason', 'EXPORT.BAD_REASON', 'reason must be well-formed text, without a lone surrogate (an unpaired U+D800–U+DFFF)');
    }
  }
  for (const p of problems) {
    if (p.field === 'password') p.code = 'EXPORT.BAD_PASSWORD';
    if (p.field === 'reason') p.code = 'EXPORT.BAD_REASON';
  }
  if (problems.length) {
    throw new AppError(problems[0].code ?? 'EXPORT.INVALID_REQUEST', problems.map((p) => p.message).join('; '), problems);
  }

  return { ...caseQueryOf(channelId, dto, rules), reason, password: dto.password };
}

/** The range rules of export.md (dates, zone, first day, order, six months), added to `problems`. */
export function rangeProblems(dto: CaseQueryDto, rules: ExportRules, problems: FieldProblem[]): void {
  const has = (field: string) => problems.some((p) => p.field === field);
  const add = (field: string, code: ErrorCode, message: string) => problems.push({ field, code, message });
  for (const field of ['from', 'to'] as const) {
    if (has(field) || isCalendarDate(dto[field])) continue;
    const pastLast = /^\+?\d{5,}-\d{2}-\d{2}$/.test(dto[field]);
    add(field, 'EXPORT.INVALID_REQUEST', pastLast ? `${field} must be on or before ${LAST_DATE}` : `${field} must be a calendar date YYYY-MM-DD`);
  }
  const asked = dto.timezone ?? rules.defaultTimezone;
  if (!has('timezone') && !isTimeZone(asked)) {
    add('timezone', 'EXPORT.INVALID_REQUEST', `timezone ${JSON.stringify(asked)} is not an IANA time zone`);
  }
  if (!has('from') && !has('to')) {
    if (dto.from < rules.statsStartDate) {
      add('from', 'EXPORT.TOO_EARLY', `from must be on or after ${rules.statsStartDate}, the day case statistics started`);
    }
    if (dto.to < dto.from) add('to', 'EXPORT.RANGE_REVERSED', 'to must not be earlier than from');
    else if (dto.to > latestTo(dto.from)) {
      add('to', 'EXPORT.RANGE_TOO_LONG', `the range may span six months at most: with from ${dto.from}, to can be ${latestTo(dto.from)} at the latest`);
    }
  }
}

/** A valid query's selection: the range as instants in its zone, and the filters given. */
export function caseQueryOf(channelId: string, dto: CaseQueryDto, rules: ExportRules): ValidCaseQuery {
  const filters: ExportFilters = {};
  for (const key of FILTER_KEYS) {
    const values = dto.filters?.[key];
    if (values?.length) filters[key] = [...new Set(values)];
  }
  // Intl takes a zone's name in any case ("asia/seoul"); the job and the file name it as IANA does.
  const timezone = canonicalTimeZone(dto.timezone ?? rules.defaultTimezone);
  const zone = new Zone(timezone);
  return {
    channelId,
    from: dto.from,
    to: dto.to,
    timezone,
    filters,
    selection: {
      channelId,
      from: new Date(zone.startOfDay(dto.from)),
      // The day after LAST_DATE has no four-digit name; that day has no transition to miss.
      toExclusive: new Date(dto.to === LAST_DATE ? zone.startOfDay(dto.to) + 86_400_000 : zone.startOfDay(addDays(dto.to, 1))),
      ...filters,
    },
  };
}

/** class-validator's errors as field problems, the first message of each field. */
export function flattenProblems(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    // "Is required" (a missing value fails the type check) says more than the format rule behind it.
    const entries = Object.entries(e.constraints ?? {}).sort(([a], [b]) => Number(b === 'isString') - Number(a === 'isString'));
    const own = entries.map(([constraint, message]) => ({
      field,
      code: 'EXPORT.INVALID_REQUEST' as ErrorCode,
      message:
        constraint === 'whitelistValidation'
          ? unknownKey(field, prefix)
          : message.startsWith(e.property) || prefix === ''
            ? message
            : `${field}: ${message}`,
    }));
    // Only the first message of a field: "password is required" says enough without the charset rule too.
    return [...own.slice(0, 1), ...flattenProblems(e.children ?? [], field)];
  });
}

function unknownKey(field: string, parent: string): string {
  return parent === 'filters'
    ? `${field} is not a filter; the filters are ${FILTER_KEYS.join(', ')}`
    : `${field} is not a field of an export request; the fields are ${REQUEST_KEYS.join(', ')}`;
}

const REQUEST_KEYS = ['from', 'to', 'timezone', 'filters', 'password', 'reason'];

/** The cap is checked on a count before any work starts: never a silently truncated file. */
export function assertWithinRowCap(count: number, maxRows: number): void {
  if (count > maxRows) {
    throw new AppError(
      'EXPORT.TOO_MANY_ROWS',
      `${count.toLocaleString('en-US')} cases match; an export holds at most ${maxRows.toLocaleString('en-US')}: narrow the date range or add filters`,
      [{ field: 'to', code: 'EXPORT.TOO_MANY_ROWS', message: `${count} cases match, more than ${maxRows}` }],
      { count, maxRows },
    );
  }
}
