import { boundedReason } from '@casestats/events';
import { Sql } from '@casestats/pg';

export interface DeadLetterInput {
  /** Where it came from: `file:NAME` or `kafka:TOPIC/PARTITION`. */
  source: string;
  /** Line number or offset. */
  position: string;
  code: string;
  reason: string;
  raw: Buffer;
}

/**
 * Idempotent: the same line or offset dead-lettered again is kept once. Always storable: the text
 * columns get bounded text PostgreSQL accepts whatever the caller passes (a refused letter would
 * roll back its batch, and the partition would retry it for good); the bytes go to bytea as they were.
 */
export async function saveDeadLetters(sql: Sql, letters: DeadLetterInput[]): Promise<void> {
  if (!letters.length) return;
  await sql(
    `INSERT INTO dead_letters (source, position, code, reason, raw)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
     ON CONFLICT (source, position) DO NOTHING`,
    [
      letters.map((l) => boundedReason(l.source)),
      letters.map((l) => boundedReason(l.position)),
      letters.map((l) => boundedReason(l.code)),
      letters.map((l) => boundedReason(l.reason)),
      letters.map((l) => l.raw),
    ],
  );
}
