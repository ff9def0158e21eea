import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { AppError, Config } from '@casestats/config';
import { simulate } from '@casestats/simulator';
import { createKafka, publishEvents } from '@casestats/kafka-source';
import { CliIo } from '../cli-context';

export function simulationOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      chats: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      days: { type: 'string', default: '60' },
      channels: { type: 'string', default: '3' },
      out: { type: 'string' },
      'to-kafka': { type: 'boolean', default: false },
    },
  });
  const int = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new AppError('INPUT.INVALID', `--${name} must be an integer ≥ ${min}`);
    return n;
  };
  return {
    chats: int('chats', 1),
    seed: int('seed', 0),
    days: int('days', 1),
    channels: int('channels', 1),
    out: values.out,
    toKafka: values['to-kafka'] as boolean,
  };
}

/** Writes the simulated stream as NDJSON, with back-pressure, so a million chats need little memory. */
export async function simulateCommand(args: string[], config: Config, io: CliIo): Promise<number> {
  const opts = simulationOptions(args);
  if (!opts.out && !opts.toKafka) throw new AppError('INPUT.INVALID', 'give --out FILE.ndjson or --to-kafka');
  if (opts.toKafka) {
    if (!config.kafka.brokers.length) throw new AppError('INPUT.INVALID', '--to-kafka needs KAFKA_BROKERS');
    const sent = await publishEvents(createKafka(config.kafka.brokers, config.kafka.clientId), config.kafka.topic, simulate(opts));
    io.out(`published ${sent} events of ${opts.chats} chats to ${config.kafka.topic}`);
    return 0;
  }
  const out = createWriteStream(opts.out!);
  let count = 0;
  for (const event of simulate(opts)) {
    if (!out.write(`${JSON.stringify(event)}\n`)) await once(out, 'drain');
    count++;
  }
  out.end();
  await once(out, 'finish');
  io.out(`wrote ${count} events of ${opts.chats} chats to ${opts.out}`);
  return 0;
}
