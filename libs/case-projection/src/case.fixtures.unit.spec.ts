import { describe, expect, it } from 'vitest';
import { parseEvent, CaseStatsEvent } from '@casestats/events';
import { CASE_TIME_FIELDS, expectedCases, scenarioLines } from '@casestats/testing';
import { completeDueChats, projectBatch, toCaseRecord, CaseRecord } from './index';


/** The expected file's shape: UTC ISO times, profile keys flattened; the URL is the export's job (tested there). */
function asExpected(record: CaseRecord): Record<string, unknown> {
  const { profile, ...fields } = record;
  const out: Record<string, unknown> = { ...fields };
  for (const f of CASE_TIME_FIELDS) {
    const v = out[f] as number | null;
    out[f] = v === null ? null : new Date(v).toISOString();
  }
  out['profile.csat'] = profile.csat ?? null;
  out['profile.csatComment'] = profile.csatComment ?? null;
  for (const [k, v] of Object.entries(profile)) if (k !== 'csat' && k !== 'csatComment') out[`profile.${k}`] = v;
  return out;
}

function projectFixtures() {
  const events = scenarioLines().map((line) => {
    const parsed = parseEvent(line);
    if (!parsed.ok) throw new Error(parsed.error.reason);
    return parsed.event as CaseStatsEvent;
  });
  const out = projectBatch(events, { chats: new Map(), applied: new Set() });
  // "Evaluated at a time after every window has passed."
  const swept = completeDueChats(out.chats, Date.parse('2026-01-01T00:00:00Z'));
  const latest = new Map<string, CaseRecord>();
  for (const { chat, case: c } of [...out.cases, ...swept.cases]) {
    const record = toCaseRecord(chat, c);
    latest.set(record.userChatCaseId, record);
  }
  return { out, records: [...latest.values()] };
}

describe('shared fixtures: scenarios.ndjson → expected records', () => {
  const { out, records } = projectFixtures();

  it('produces exactly the expected case records, to the millisecond', () => {
    const expected = expectedCases().map(({ userChatUrl: _url, ...rest }) => rest);
    const actual = records.map(asExpected);
    const byId = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      String(a.userChatCaseId).localeCompare(String(b.userChatCaseId));
    expect(actual.sort(byId)).toEqual(expected.sort(byId));
  });

  it('counts the repeated ids as duplicates and applies them once', () => {
    expect(out.duplicates).toBe(3);
    expect(out.appliedIds).toHaveLength(57);
  });
});
