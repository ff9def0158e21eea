import { Sql, fromEpochMs } from '@casestats/pg';
import { assertSchemaName } from './schema-name';

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

/** The partition's stored next offset as it stands, without a lock (0 if none): what is below it was applied and committed. */
export async function storedNextOffset(sql: Sql, schema: string, key: CheckpointKey): Promise<number> {
  const [row] = await sql<{ next_offset: string }>(
    `SELECT next_offset FROM ${assertSchemaName(schema)}.checkpoints WHERE consumer = $1 AND topic = $2 AND partition = $3`,
    [key.consumer, key.topic, key.partition],
  );
  return row ? Number(row.next_offset) : 0;
}

/** Moves the checkpoint to `nextOffset`; `appliedUntil` is the latest `occurredAt` the batch applied (its watermark only grows). */
export async function storeCheckpoint(sql: Sql, schema: string, key: CheckpointKey, nextOffset: number, appliedUntil?: number): Promise<void> {
  await sql(
    `UPDATE ${assertSchemaName(schema)}.checkpoints
        SET next_offset = $4, updated_at = now(), applied_until = GREATEST(applied_until, ${fromEpochMs('$5')})
      WHERE consumer = $1 AND topic = $2 AND partition = $3`,
    [key.consumer, key.topic, key.partition, nextOffset, appliedUntil ?? null],
  );
}

export interface PartitionProgress {
  nextOffset: number;
  /** The latest event time applied; null before any event. */
  appliedUntil: number | null;
}

/** Each stored partition's next offset with its event-time watermark. */
export async function readProgress(sql: Sql, schema: string, consumer: string, topic: string): Promise<Map<number, PartitionProgress>> {
  const rows = await sql<{ partition: number; next_offset: string; applied_until: number | null }>(
    `SELECT partition, next_offset, (extract(epoch FROM applied_until) * 1000)::float8 AS applied_until
       FROM ${assertSchemaName(schema)}.checkpoints WHERE consumer = $1 AND topic = $2`,
    [consumer, topic],
  );
  const ms = (v: number | null) => (v === null ? null : Math.round(v));
  return new Map(rows.map((r) => [r.partition, { nextOffset: Number(r.next_offset), appliedUntil: ms(r.applied_until) }]));
}

/** The stored offsets of a consumer for a topic: they win over Kafka's committed ones. */
export async function readCheckpoints(sql: Sql, schema: string, consumer: string, topic: string): Promise<Map<number, number>> {
  return new Map([...(await readProgress(sql, schema, consumer, topic))].map(([partition, p]) => [partition, p.nextOffset]));
}
