import { describe, expect, it } from 'vitest';
import type { BatchStats } from '@casestats/projection-write';
import { BatchAppliers } from './batch-appliers';
import { packMessages } from './message-split';

/** Stand-ins for the worker threads: each records what it was given and finishes when told. */
function fakes() {
  const made: { name: number; batches: number[]; finish: ((fail?: Error) => void)[]; closed: boolean }[] = [];
  const make = () => {
    const me = { name: made.length, batches: [] as number[], finish: [] as ((fail?: Error) => void)[], closed: false };
    made.push(me);
    return {
      apply: (_schema: string, checkpoint: { partition: number }) =>
        new Promise<BatchStats>((resolve, reject) => {
          me.batches.push(checkpoint.partition);
          me.finish.push((fail) => (fail ? reject(fail) : resolve({ applied: 1, duplicates: 0, deadLettered: 0, covered: 0, casesWritten: 0 })));
        }),
      ready: async () => undefined,
      close: async () => {
        me.closed = true;
      },
    };
  };
  return { made, make };
}

const apply = (a: BatchAppliers, partition: number) =>
  a.apply('proj_1', { consumer: 'g', topic: 't', partition, firstOffset: 0, nextOffset: 1 }, packMessages([]), async () => undefined);

describe('BatchAppliers: batches shared out over worker threads', () => {
  it('gives each batch to the thread with the fewest in hand, whatever its partition', async () => {
    const { made, make } = fakes();
    const appliers = new BatchAppliers(2, { databaseUrl: 'postgres://x', poolSize: 3 }, make);
    const first = apply(appliers, 0);
    const second = apply(appliers, 0);
    const third = apply(appliers, 1);
    expect(made.map((m) => m.batches)).toEqual([[0, 1], [0]]);
    made[1].finish[0]();
    await second;
    const fourth = apply(appliers, 2);
    expect(made.map((m) => m.batches)).toEqual([[0, 1], [0, 2]]);
    made[0].finish[0]();
    made[0].finish[1]();
    made[1].finish[1]();
    await Promise.all([first, third, fourth]);
    expect(made.length).toBe(2);
  });

  it('fails only the batch whose thread failed, and closes every thread', async () => {
    const { made, make } = fakes();
    const appliers = new BatchAppliers(2, { databaseUrl: 'postgres://x', poolSize: 3 }, make);
    const a = apply(appliers, 0);
    const b = apply(appliers, 1);
    made[0].finish[0](new Error('the database went away'));
    made[1].finish[0]();
    await expect(a).rejects.toThrow('the database went away');
    await expect(b).resolves.toMatchObject({ applied: 1 });
    // The failed thread has nothing in hand any more: the next batch may go to either.
    void apply(appliers, 0);
    expect(made[0].batches.length + made[1].batches.length).toBe(3);
    await appliers.close();
    expect(made.map((m) => m.closed)).toEqual([true, true]);
  });

  it('runs at least one thread', () => {
    const { made, make } = fakes();
    void new BatchAppliers(0, { databaseUrl: 'postgres://x', poolSize: 3 }, make);
    expect(made.length).toBe(1);
  });
});
