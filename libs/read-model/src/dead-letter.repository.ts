import { Sql } from './sql';

export interface DeadLetterInput {
  /** Where it came from: `file:NAME` or `kafka:TOPIC/PARTITION`. */
  source: string;
  /** Line number or offset. */
  position: string;
  code: string;
  reason: string;
  raw: Buffer;
}

/** Idempotent: the same line or offset dead-lettered again is kept once. */
export async function saveDeadLetters(sql: Sql, letters: DeadLetterInput[]): Promise<void> {
  if (!letters.length) return;
  await sql(
    `INSERT INTO dead_letters (source, position, code, reason, raw)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
     ON CONFLICT (source, position) DO NOTHING`,
    [
      letters.map((l) => l.source),
      letters.map((l) => l.position),
      letters.map((l) => l.code),
      letters.map((l) => l.reason),
      letters.map((l) => l.raw),
    ],
  );
}
