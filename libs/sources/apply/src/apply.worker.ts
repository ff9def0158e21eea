/**
 * Worker thread: parses and applies partition batches (splitValues → applyBatch) on connections of
 * its own, so that the consumer's thread only fetches and decodes. Each batch is still one
 * transaction with its checkpoint; this thread holds nothing between batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
// The write path alone: the read model's index loads TypeORM, which this thread has no use for.
import { applyBatch, createApplyPool, storedNextOffset } from '@casestats/projection-write';
import type { ApplyRequest, ApplyWorkerData, FromApplyWorker, ToApplyWorker } from './apply.protocol';
import { splitValues } from './message-split';

const { databaseUrl, poolSize, statementTimeoutMs, changeLog } = workerData as ApplyWorkerData;
const db = createApplyPool(databaseUrl, poolSize, statementTimeoutMs);
const ready = db.query('SELECT 1');
const sent = new Map<number, (error?: string) => void>();

async function apply(port: NonNullable<typeof parentPort>, req: ApplyRequest): Promise<FromApplyWorker> {
  const checkpoint = 'consumer' in req.from ? req.from : null;
  const split = splitValues(checkpoint ? `kafka:${checkpoint.topic}/${checkpoint.partition}` : (req.from as { source: string }).source, req.batch);
  const { events, offsets } = split;
  let { deadLetters } = split;
  if (deadLetters.length && checkpoint) {
    // Letters the checkpoint already covers were sent before the transaction that moved past them:
    // a retried batch, a rebalance's refetch or a replay from kafkajs's own position sends none again.
    await ready;
    const next = await storedNextOffset((text, params) => db.query(text, params).then((r) => r.rows), req.schema, checkpoint);
    deadLetters = deadLetters.filter((d) => Number(d.position) >= next);
  }
  if (deadLetters.length) {
    const done = new Promise<string | undefined>((resolve) => sent.set(req.id, resolve));
    port.postMessage({ kind: 'dead-letters', id: req.id, letters: deadLetters.map(({ index, code, reason, raw }) => ({ index, code, reason, value: raw })) } satisfies FromApplyWorker);
    const error = await done;
    if (error) throw new Error(error);
  }
  await ready;
  const stats = await applyBatch(db, req.schema, {
    events,
    deadLetters: deadLetters.map(({ index: _index, ...letter }) => letter),
    ...(checkpoint && { checkpoint: { ...checkpoint, offsets } }),
  }, { changeLog });
  return { kind: 'applied', id: req.id, stats };
}

if (parentPort) {
  const port = parentPort;
  ready.then(
    () => port.postMessage({ kind: 'ready' } satisfies FromApplyWorker),
    (err: Error) => {
      port.postMessage({ kind: 'not-ready', message: err.message } satisfies FromApplyWorker);
      // Without its connections this thread is of no use: it ends, and the next batch starts another.
      setTimeout(() => process.exit(1), 100);
    },
  );
  port.on('message', (m: ToApplyWorker) => {
    if (m.kind === 'dead-letters-sent') {
      sent.get(m.id)?.(m.error);
      sent.delete(m.id);
      return;
    }
    apply(port, m).then(
      (reply) => port.postMessage(reply),
      (err: Error) => port.postMessage({ kind: 'failed', id: m.id, message: err.message } satisfies FromApplyWorker),
    );
  });
}
