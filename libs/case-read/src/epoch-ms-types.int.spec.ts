import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@casestats/testing';
import { EPOCH_MS_TYPES, parseUtcTimestamp } from './epoch-ms-types';
import { fromEpochMs } from '@casestats/pg';

describe('parseUtcTimestamp', () => {
  it('reads every fraction length PostgreSQL prints', () => {
    expect(parseUtcTimestamp('2025-07-01 03:04:05+00')).toBe(Date.UTC(2025, 6, 1, 3, 4, 5));
    expect(parseUtcTimestamp('2025-07-01 03:04:05.1+00')).toBe(Date.UTC(2025, 6, 1, 3, 4, 5, 100));
    expect(parseUtcTimestamp('2025-07-01 03:04:05.12+00')).toBe(Date.UTC(2025, 6, 1, 3, 4, 5, 120));
    expect(parseUtcTimestamp('2025-07-01 03:04:05.123+00')).toBe(Date.UTC(2025, 6, 1, 3, 4, 5, 123));
    expect(parseUtcTimestamp('2025-12-31 23:59:59.999999+00')).toBe(Date.UTC(2025, 11, 31, 23, 59, 59, 999));
  });

  it('agrees with Date.UTC on every day from 1970 to 2100 and on leap days', () => {
    for (let t = 0; t < Date.UTC(2100, 0, 1); t += 86_400_000 + 3_723_456) {
      const iso = new Date(t).toISOString();
      expect([iso, parseUtcTimestamp(`${iso.slice(0, 10)} ${iso.slice(11, 23)}+00`)]).toEqual([iso, t]);
    }
    expect(parseUtcTimestamp('2024-02-29 12:00:00+00')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseUtcTimestamp('2000-02-29 00:00:00+00')).toBe(Date.UTC(2000, 1, 29));
  });

  it('leaves other layouts to pg\'s parser', () => {
    expect(parseUtcTimestamp('2025-07-01 12:04:05.5+09')).toBe(Date.UTC(2025, 6, 1, 3, 4, 5, 500));
    expect(parseUtcTimestamp('2025-07-01 03:04:05+05:30')).toBe(Date.UTC(2025, 6, 0, 21, 34, 5));
    expect(parseUtcTimestamp('0099-01-01 00:00:00+00')).toBe(new Date('0099-01-01T00:00:00Z').getTime());
  });
});

describe('EPOCH_MS_TYPES against the server', () => {
  let db: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    db = await createTestDatabase('cs_epochms');
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`SET TimeZone = 'UTC'`);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('returns the same instants as Date parsing, to the millisecond', async () => {
    const { rows } = await client.query({
      text: `SELECT t, to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS iso FROM unnest($1::timestamptz[]) AS t`,
      values: [['2025-07-01T03:04:05Z', '2025-07-01T03:04:05.100Z', '2025-07-01T03:04:05.120Z', '2024-02-29T23:59:59.999Z', '1970-01-01T00:00:00.001Z', '2038-01-19T03:14:08.5Z']],
      types: EPOCH_MS_TYPES,
    });
    expect(rows.length).toBe(6);
    for (const r of rows) expect([r.iso, r.t]).toEqual([r.iso, Date.parse(r.iso)]);
  });

  it('stores an instant sent as epoch ms (fromEpochMs) exactly, to the microsecond', async () => {
    // Every millisecond of one second in 2025 and of one in 2100, and a spread across 1970–2100.
    const ms: number[] = [];
    for (let i = 0; i < 1000; i++) ms.push(Date.UTC(2025, 6, 1, 12, 0, 0, i), Date.UTC(2100, 11, 31, 23, 59, 59, i));
    for (let i = 0; i < 5000; i++) ms.push(Math.floor((i * 4_102_444_800_000) / 5000) + (i % 1000));
    const { rows } = await client.query(
      `SELECT x.ms::text AS ms, (extract(epoch FROM ${fromEpochMs('x.ms')}) * 1000)::text AS back FROM unnest($1::bigint[]) AS x(ms)`,
      [ms],
    );
    expect(rows.length).toBe(ms.length);
    expect(rows.filter((r) => r.back !== `${r.ms}.000000` && r.back !== r.ms)).toEqual([]);
  });
});
