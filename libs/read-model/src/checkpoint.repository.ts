import { Sql } from './sql';
import { assertSchemaName } from './projection-schema';

export interface CheckpointKey {
  consumer: string;
  topic: string;
  partition: number;
}

/** Locks the partition's checkpoint row for this transaction and returns the next offset to apply (0 if none). */
export async function lockCheckpoint(sql: Sql, schema: string, key: CheckpointKey): Promise<number> {
  const s = assertSchemaName(schema);
  await sql(
    `INSERT INTO ${s}.checkpoints (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
     ON CONFLICT DO NOTHING`,
    [key.consumer, key.topic, key.partition],
  );
  const [row] = await sql<{ next_offset: string }>(
    `SELECT next_offset FROM ${s}.checkpoints WHERE consumer = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
    [key.consumer, key.topic, key.partition],
  );
  return Number(row.next_offset);
}

export async function storeCheckpoint(sql: Sql, schema: string, key: CheckpointKey, nextOffset: number): Promise<void> {
  await sql(
    `UPDATE ${assertSchemaName(schema)}.checkpoints SET next_offset = $4, updated_at = now()
      WHERE consumer = $1 AND topic = $2 AND partition = $3`,
    [key.consumer, key.topic, key.partition, nextOffset],
  );
}

/** The stored offsets of a consumer for a topic: they win over Kafka's committed ones. */
export async function readCheckpoints(sql: Sql, schema: string, consumer: string, topic: string): Promise<Map<number, number>> {
  const rows = await sql<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset FROM ${assertSchemaName(schema)}.checkpoints WHERE consumer = $1 AND topic = $2`,
    [consumer, topic],
  );
  return new Map(rows.map((r) => [r.partition, Number(r.next_offset)]));
}
