import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Copies of shared/fixtures, kept in the repo so that a clone alone runs the tests and the walk-through. */
export const FIXTURES_DIR = resolve(__dirname, '../../../test/fixtures');
export const SCENARIOS_FILE = resolve(FIXTURES_DIR, 'scenarios.ndjson');

export function readNdjson<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(resolve(FIXTURES_DIR, file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export function scenarioLines(): string[] {
  return readFileSync(SCENARIOS_FILE, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

export const expectedCases = () => readNdjson('expected-cases.ndjson');
export const expectedUsers = () => readNdjson('expected-users.ndjson');

/** The timestamp fields of a case record in the expected files (UTC ISO-8601 there, date cells in an export). */
export const CASE_TIME_FIELDS = [
  'userChatCaseCreatedAt',
  'userChatCaseUpdatedAt',
  'createdAt',
  'firstQueuedAt',
  'firstOpenedAt',
  'firstAskedAt',
  'firstRepliedAt',
  'closedAt',
] as const;
