import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { DataSource } from 'typeorm';
import { CaseStatsEvent, parseEvent } from '@casestats/events';
import { DeadLetterInput, applyBatch } from '@casestats/projection-write';

export interface FileProjectionStats {
  lines: number;
  applied: number;
  duplicates: number;
  invalid: number;
}

/**
 * The sequential fold of a file: NDJSON lines → parse → batches of `batchSize` through applyBatch,
 * in file order, on this thread. `casestats project` runs the projector's pipeline instead
 * (source-file projectEventsFile: lanes by chat, apply threads, the same batch sizes as Kafka);
 * this one is the tests' reference, the one fold every other path is compared with. Invalid
 * lines become dead letters with their line number and reason; running it again on the same file
 * changes nothing (event ids and line positions are both idempotent).
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
  for await (const line of byteLines(file)) {
    stats.lines++;
    if (isBlank(line)) continue;
    const parsed = parseEvent(line);
    if (parsed.ok) events.push(parsed.event);
    else {
      stats.invalid++;
      deadLetters.push({ source, position: String(stats.lines), ...parsed.error, raw: Buffer.from(line) });
    }
    if (events.length + deadLetters.length >= batchSize) await flush();
  }
  await flush();
  return stats;
}

/**
 * A file's lines as their bytes (without the LF or CRLF that ends them): parseEvent then checks
 * the UTF-8 as it does a Kafka value, and a dead letter keeps the bytes as they were. (readline
 * decoded leniently: an invalid byte became U+FFFD and the event was accepted, unlike from Kafka.)
 */
export async function* byteLines(file: string): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      yield withoutCr(parts.length ? Buffer.concat([...parts, piece]) : piece);
      parts = [];
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  }
  if (parts.length) yield withoutCr(Buffer.concat(parts));
}

function withoutCr(line: Buffer): Buffer {
  return line.length && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
}

/** Only spaces, tabs and carriage returns: a line that holds no event. */
export function isBlank(line: Buffer): boolean {
  for (const b of line) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}
