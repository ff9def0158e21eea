import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { AppError, Config } from '@casestats/config';
import { simulate } from '@casestats/simulator';
import { createKafka, publishEvents } from '@casestats/source-kafka';
import { CliIo, assertWritableFolder } from '../cli-context';

export interface SimulateOptions {
  chats: number;
  seed: number;
  days: number;
  channels: number;
  out?: string;
  toKafka?: boolean;
}

/** Writes the simulated stream as NDJSON, with back-pressure, so a million chats need little memory. */
export async function simulateCommand(opts: SimulateOptions, config: Config, io: CliIo): Promise<number> {
  if (opts.toKafka) {
    if (!config.kafka.brokers.length) throw new AppError('INPUT.INVALID', '--to-kafka needs KAFKA_BROKERS');
    const sent = await publishEvents(createKafka(config.kafka.brokers, config.kafka.clientId), config.kafka.topic, simulate(opts));
    io.out(`published ${sent} events of ${opts.chats} chats to ${config.kafka.topic}`);
    return 0;
  }
  if (!opts.out) throw new AppError('INPUT.INVALID', 'give --out FILE.ndjson or --to-kafka');
  assertWritableFolder(resolve(opts.out));
  const out = createWriteStream(opts.out);
  // An unwritable path fails the command (exit 1) instead of an unhandled stream error.
  const done = finished(out);
  done.catch(() => undefined); // awaited below
  let count = 0;
  for (const event of simulate(opts)) {
    if (out.errored) break;
    if (!out.write(`${JSON.stringify(event)}\n`)) await Promise.race([once(out, 'drain'), done]);
    count++;
  }
  out.end();
  await done;
  io.out(`wrote ${count} events of ${opts.chats} chats to ${opts.out}`);
  return 0;
}
