import { describe, expect, it } from 'vitest';
import { AppError } from '@casestats/config';
import { validateCaseQuery } from './case-query';
import { assertWithinRowCap, latestTo, validateExportRequest } from './export-rules';
import { Zone, addMonthsClamped } from './zoned-time';

const RULES = { statsStartDate: '2025-06-26', defaultTimezone: 'Asia/Seoul' };
const ok = { from: '2025-07-01', to: '2025-07-31', password: 'Secret42', reason: 'review' };

function problems(body: object) {
  try {
    validateExportRequest('ch-1', body, RULES);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).problems.map((p) => [p.field, p.code]);
  }
  return [];
}

describe('export rules', () => {
  // PostgreSQL's jsonb refuses a lone surrogate and its text columns turn it into U+FFFD: a 500, or a reason no one gave.
  it('refuses text that is not well-formed (a lone surrogate) wherever a request gives text, naming the field', () => {
    expect(problems({ ...ok, reason: 'why \ud800' })).toEqual([['reason', 'EXPORT.BAD_REASON']]);
    expect(problems({ ...ok, timezone: '\udc00' })).toEqual([['timezone', 'EXPORT.INVALID_REQUEST']]);
    for (const key of ['teamIds', 'assigneeIds', 'tags']) {
      expect(problems({ ...ok, filters: { [key]: ['x', 'y\ud800'] } })).toEqual([[`filters.${key}`, 'EXPORT.INVALID_REQUEST']]);
    }
    // A pair is one character, and welcome.
    expect(problems({ ...ok, reason: 'review \ud83d\ude00', filters: { tags: ['\ud83d\ude00'] } })).toEqual([]);
  });

  it("refuses a lone surrogate in the dashboard's query filters and zone", () => {
    const refused = (query: Record<string, unknown>) => {
      try {
        validateCaseQuery('ch-1', { from: '2025-07-01', to: '2025-07-31', ...query }, RULES);
      } catch (err) {
        return (err as AppError).problems.map((p) => p.field);
      }
      return [];
    };
    expect(refused({ tags: '\ud800' })).toEqual(['filters.tags']);
    expect(refused({ teamIds: ['t-1', '\udfff'] })).toEqual(['filters.teamIds']);
    expect(refused({ assigneeIds: '\ud800' })).toEqual(['filters.assigneeIds']);
    expect(refused({ timezone: 'Asia/Seoul\ud800' })).toEqual(['timezone']);
    expect(refused({ tags: '\ud83d\ude00' })).toEqual([]);
  });

  it.each([
    ['2025-06-26', '2025-12-26'],
    ['2025-08-31', '2026-02-28'],
    ['2025-08-30', '2026-02-28'],
    ['2025-12-31', '2026-06-30'],
    ['2027-08-31', '2028-02-29'],
    ['2025-09-30', '2026-03-30'],
  ])('from %s allows to up to %s', (from, to) => {
    expect(latestTo(from)).toBe(to);
  });

  it('turns the dates into a half-open range of instants in the timezone', () => {
    const seoul = validateExportRequest('ch-1', ok, RULES).selection;
    expect(seoul.from.toISOString()).toBe('2025-06-30T15:00:00.000Z');
    expect(seoul.toExclusive.toISOString()).toBe('2025-07-31T15:00:00.000Z');
    // Across a DST change: New York is UTC-4 in summer, UTC-5 from November 2.
    const ny = validateExportRequest('ch-1', { ...ok, from: '2025-10-01', to: '2025-11-05', timezone: 'America/New_York' }, RULES).selection;
    expect(ny.from.toISOString()).toBe('2025-10-01T04:00:00.000Z');
    expect(ny.toExclusive.toISOString()).toBe('2025-11-06T05:00:00.000Z');
  });

  it('reports every broken rule at once, each naming its field', () => {
    expect(problems({ from: '2025-06-01', to: '2025-05-01', password: 'no!', reason: ' ', timezone: 'Nowhere/City' })).toEqual([
      ['password', 'EXPORT.BAD_PASSWORD'],
      ['timezone', 'EXPORT.INVALID_REQUEST'],
      ['from', 'EXPORT.TOO_EARLY'],
      ['to', 'EXPORT.RANGE_REVERSED'],
      ['reason', 'EXPORT.BAD_REASON'],
    ]);
    expect(problems({ ...ok, filters: { directions: ['SIDEWAYS'], caseStates: ['done'] } })).toEqual([
      ['filters.directions', 'EXPORT.INVALID_REQUEST'],
      ['filters.caseStates', 'EXPORT.INVALID_REQUEST'],
    ]);
    expect(problems({})).toEqual([
      ['from', 'EXPORT.INVALID_REQUEST'],
      ['to', 'EXPORT.INVALID_REQUEST'],
      ['password', 'EXPORT.BAD_PASSWORD'],
      ['reason', 'EXPORT.BAD_REASON'],
    ]);
  });

  it('refuses keys it does not know, naming them: a misspelt filter must not export the whole channel', () => {
    expect(problems({ ...ok, filters: { teamId: ['t1'] }, filter: {} })).toEqual([
      ['filter', 'EXPORT.INVALID_REQUEST'],
      ['filters.teamId', 'EXPORT.INVALID_REQUEST'],
    ]);
    try {
      validateExportRequest('ch-1', { ...ok, timeZone: 'UTC' }, RULES);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe('timeZone is not a field of an export request; the fields are from, to, timezone, filters, password, reason');
    }
  });

  it('names the time zone as IANA does, whatever its case in the request', () => {
    const v = validateExportRequest('ch-1', { ...ok, timezone: 'asia/seoul' }, RULES);
    expect(v.timezone).toBe('Asia/Seoul');
    expect(v.selection.from.toISOString()).toBe('2025-06-30T15:00:00.000Z');
  });

  it('never echoes the password in a message', () => {
    try {
      validateExportRequest('ch-1', { ...ok, password: 'hunter2 !' }, RULES);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('trims the reason and dedupes filters', () => {
    const v = validateExportRequest('ch-1', { ...ok, reason: '  audit  ', filters: { teamIds: ['t1', 't1', 't2'], tags: [] } }, RULES);
    expect(v.reason).toBe('audit');
    expect(v.filters).toEqual({ teamIds: ['t1', 't2'] });
  });

  it('refuses more rows than the cap with the count', () => {
    expect(() => assertWithinRowCap(1_000_000, 1_000_000)).not.toThrow();
    expect(() => assertWithinRowCap(1_000_001, 1_000_000)).toThrow(/1,000,001 cases match/);
  });
});

describe('zoned time', () => {
  it('computes Excel serials of local wall time', () => {
    const seoul = new Zone('Asia/Seoul');
    // 2025-07-01T01:00:00Z is 10:00 in Seoul; 2025-07-01 is serial 45839.
    expect(seoul.excelSerial(Date.parse('2025-07-01T01:00:00Z'))).toBeCloseTo(45839 + 10 / 24, 10);
    // The second the instant is in, never the next one (Excel rounds what it shows to the second).
    expect(seoul.excelSerial(Date.parse('2025-07-01T14:59:59.999Z'))).toBe(seoul.excelSerial(Date.parse('2025-07-01T14:59:59.000Z')));
    expect(seoul.excelSerial(Date.parse('1969-12-31T14:59:59.999Z'))).toBe(seoul.excelSerial(Date.parse('1969-12-31T14:59:59.000Z')));
    expect(seoul.formatLocal(Date.parse('2025-07-01T15:30:00.250Z'))).toBe('2025-07-02 00:30:00');
    const la = new Zone('America/Los_Angeles');
    expect(la.offsetAt(Date.parse('2025-07-01T00:00:00Z'))).toBe(-7 * 3_600_000);
    expect(la.offsetAt(Date.parse('2025-12-01T00:00:00Z'))).toBe(-8 * 3_600_000);
    // India is +05:30: quarter-hour buckets still land right.
    expect(new Zone('Asia/Kolkata').offsetAt(Date.parse('2025-07-01T00:07:00Z'))).toBe(5.5 * 3_600_000);
  });

  it('starts a day at its first instant, also where a transition skips or repeats its midnight', () => {
    const start = (zone: string, date: string) => new Date(new Zone(zone).startOfDay(date)).toISOString();
    expect(start('Asia/Seoul', '2025-07-01')).toBe('2025-06-30T15:00:00.000Z');
    // New York changes at 02:00, away from midnight.
    expect(start('America/New_York', '2025-03-09')).toBe('2025-03-09T05:00:00.000Z');
    expect(start('America/New_York', '2025-11-02')).toBe('2025-11-02T04:00:00.000Z');
    // Santiago and Havana spring forward at midnight: the day begins at 01:00, the transition.
    expect(start('America/Santiago', '2025-09-06')).toBe('2025-09-06T04:00:00.000Z');
    expect(start('America/Santiago', '2025-09-07')).toBe('2025-09-07T04:00:00.000Z');
    expect(start('America/Havana', '2025-03-09')).toBe('2025-03-09T05:00:00.000Z');
    // Santiago falls back from 24:00 to 23:00: the 5th of April has 25 hours.
    expect(start('America/Santiago', '2025-04-05')).toBe('2025-04-05T03:00:00.000Z');
    expect(start('America/Santiago', '2025-04-06')).toBe('2025-04-06T04:00:00.000Z');
  });

  it('clamps months to their last day', () => {
    expect(addMonthsClamped('2025-01-31', 1)).toBe('2025-02-28');
    expect(addMonthsClamped('2024-01-31', 1)).toBe('2024-02-29');
  });

  describe('hostile and odd input (issue 22 items 5, 6, 9)', () => {
    const parse = (json: string) => JSON.parse(json) as object;

    it.each([
      ['__proto__ in filters', '{"filters":{"__proto__":{"teamIds":["zzz"]}}}', 'filters.__proto__'],
      ['__proto__ at the top', '{"__proto__":{"reason":"x"}}', '__proto__'],
      ['constructor under an unknown key', '{"teamIds":{"constructor":["x"]}}', 'teamIds.constructor'],
      ['constructor under a filter', '{"filters":{"teamIds":{"constructor":["x"]}}}', 'filters.teamIds.constructor'],
      ['prototype in filters', '{"filters":{"prototype":["x"]}}', 'filters.prototype'],
    ])('refuses %s like any unknown key', (_name, json, field) => {
      expect(problems({ ...ok, ...parse(json) })).toContainEqual([field, 'EXPORT.INVALID_REQUEST']);
    });

    it('refuses a body nested 2,000 deep with a problem, not a stack overflow', () => {
      const deep = parse(`{"filters":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`);
      expect(problems({ ...ok, ...deep })).toEqual([['filters.a.a', 'EXPORT.INVALID_REQUEST']]);
      const lists = parse(`{"filters":{"tags":${'['.repeat(2000)}${']'.repeat(2000)}}}`);
      expect(problems({ ...ok, ...lists })).toEqual([['filters.tags.0', 'EXPORT.INVALID_REQUEST']]);
    });

    it('refuses NUL and other control characters in the reason, the time zone and every filter value', () => {
      expect(problems({ ...ok, reason: 'a\u0000b' })).toEqual([['reason', 'EXPORT.BAD_REASON']]);
      expect(problems({ ...ok, timezone: 'Asia/Seoul\u0000' })).toEqual([['timezone', 'EXPORT.INVALID_REQUEST']]);
      for (const key of ['teamIds', 'assigneeIds', 'tags']) {
        expect(problems({ ...ok, filters: { [key]: ['t\u0000'] } })).toEqual([[`filters.${key}`, 'EXPORT.INVALID_REQUEST']]);
      }
      expect(validateExportRequest('ch-1', { ...ok, reason: 'line one\nline two\tend' }, RULES).reason).toBe('line one\nline two\tend');
    });

    it('counts the reason in characters, and refuses one of invisible characters only', () => {
      expect(validateExportRequest('ch-1', { ...ok, reason: '😀'.repeat(500) }, RULES).reason).toHaveLength(1000);
      expect(problems({ ...ok, reason: '😀'.repeat(501) })).toEqual([['reason', 'EXPORT.BAD_REASON']]);
      for (const invisible of ['\u200b', '\u200b\u200d\ufeff', '\u3164', '\u00a0\u2800']) {
        expect(problems({ ...ok, reason: invisible })).toEqual([['reason', 'EXPORT.BAD_REASON']]);
      }
    });

    it('refuses dates past 9999-12-31 clearly, never with a six-digit year', () => {
      expect(latestTo('9999-12-01')).toBe('9999-12-31');
      expect(() => validateExportRequest('ch-1', { ...ok, from: '9999-07-01', to: '9999-12-31' }, RULES)).not.toThrow();
      try {
        validateExportRequest('ch-1', { ...ok, from: '9999-12-01', to: '10000-01-01' }, RULES);
        expect.unreachable();
      } catch (err) {
        expect((err as AppError).problems).toEqual([{ field: 'to', code: 'EXPORT.INVALID_REQUEST', message: 'to must be on or before 9999-12-31' }]);
        expect((err as Error).message).not.toContain('+0');
      }
    });
  });
});
