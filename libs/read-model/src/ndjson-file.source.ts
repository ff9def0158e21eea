import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { DataSource } from 'typeorm';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import { applyBatch } from './apply-batch';
import { DeadLetterInput } from './dead-letter.repository';

export interface FileProjectionStats {
  lines: number;
  applied: number;
  duplicates: number;
  invalid: number;
}

/**
 * The file source: NDJSON lines → parse → batches through the same applyBatch as Kafka. Invalid
 * lines become dead letters with their line number and reason; the rest is applied. Running it
 * again on the same file changes nothing (event ids and line positions are both idempotent).
 */
export async function projectNdjsonFile(
  db: DataSource,
  schema: string,
  file: string,
  batchSize = 2000,
  onBatch?: (stats: FileProjectionStats) => void,
): Promise<FileProjectionStats> {
  const stats: FileProjectionStats = { lines: 0, applied: 0, duplicates: 0, invalid: 0 };
  const source = `file:${basename(file)}`;
  let events: CaseStatsEvent[] = [];
  let deadLetters: DeadLetterInput[] = [];
  const flush = async () => {
    if (!events.length && !deadLetters.length) return;
    const result = await applyBatch(db, schema, { events, deadLetters });
    stats.applied += result.applied;
    stats.duplicates += result.duplicates;
    events = [];
    deadLetters = [];
    onBatch?.(stats);
  };
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    stats.lines++;
    if (line.trim() === '') continue;
    const parsed = parseEvent(line);
    if (parsed.ok) events.push(parsed.event);
    else {
      stats.invalid++;
      deadLetters.push({ source, position: String(stats.lines), ...parsed.error, raw: Buffer.from(line, 'utf8') });
    }
    if (events.length + deadLetters.length >= batchSize) await flush();
  }
  await flush();
  return stats;
}
