import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { sweepDueCases } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import type { WireEvent } from '@casestats/simulator';
import { createMigratedDatabase } from './pg';

/** A "now" after every recording window of the test data. */
export const FAR_FUTURE = Date.parse('2030-01-01T00:00:00Z');

/** Every column of every case record and user of a projection, in a stable order: for "identical" checks. */
export async function projectionTables(ds: DataSource, schema = 'proj_1'): Promise<string> {
  const cases = await ds.query(`SELECT * FROM ${schema}.case_records ORDER BY channel_id, user_chat_case_id`);
  const users = await ds.query(`SELECT * FROM ${schema}.users ORDER BY channel_id, user_id`);
  return JSON.stringify([cases.map(sortedKeys), users.map(sortedKeys)]);
}

/** A rebuilt schema and a migrated one hold the same columns in different orders; compare by name. */
function sortedKeys(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The reference: the same events as one file, projected once in a fresh database, swept at FAR_FUTURE. */
export async function cleanRunTables(events: WireEvent[]): Promise<string> {
  const db = await createMigratedDatabase('cs_ref');
  try {
    const file = join(mkdtempSync(join(tmpdir(), 'casestats-ref-')), 'events.ndjson');
    writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
    await projectNdjsonFile(db.dataSource, 'proj_1', file);
    await sweepDueCases(db.dataSource, 'proj_1', FAR_FUTURE);
    return await projectionTables(db.dataSource);
  } finally {
    await db.drop();
  }
}
