import { describe, expect, it } from 'vitest';
import { LaneJob, PartitionLanes } from './partition-lanes';

const tick = () => new Promise((r) => setTimeout(r, 5));

function deferred() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

function lanes(opts: Partial<ConstructorParameters<typeof PartitionLanes>[0]> = {}) {
  const resumed: [number, number][] = [];
  const errors: string[] = [];
  const l = new PartitionLanes({
    resume: (p, o) => resumed.push([p, o]),
    onError: (_p, e) => errors.push(e.message),
    retryMs: 10,
    ...opts,
  });
  return { l, resumed, errors };
}

const running = () => true;
const beat = async () => undefined;

describe('partition lanes', () => {
  it('applies each partition in order, one job at a time, partitions side by side', async () => {
    const { l } = lanes({ depth: 10 });
    const log: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const job = (name: string, gate: Promise<void>): LaneJob => ({
      firstOffset: 0,
      run: async () => {
        log.push(`start ${name}`);
        await gate;
        log.push(`end ${name}`);
      },
    });
    l.push(0, job('0a', gates[0].done));
    l.push(0, job('0b', Promise.resolve()));
    l.push(1, job('1a', gates[1].done));
    await tick();
    // 0b waits for 0a; partition 1 does not wait for partition 0.
    expect(log).toEqual(['start 0a', 'start 1a']);
    gates[1].release();
    await tick();
    expect(log).toEqual(['start 0a', 'start 1a', 'end 1a']);
    gates[0].release();
    await tick();
    expect(log).toEqual(['start 0a', 'start 1a', 'end 1a', 'end 0a', 'start 0b', 'end 0b']);
  });

  it('admits a batch only while its lane has room, heartbeating while it waits', async () => {
    const { l } = lanes({ depth: 2 });
    const gate = deferred();
    l.push(0, { firstOffset: 0, run: () => gate.done });
    l.push(0, { firstOffset: 10, run: async () => undefined });
    let admitted: boolean | undefined;
    void l.admit(0, beat, running).then((ok) => (admitted = ok));
    expect(await l.admit(1, beat, running)).toBe(true);
    await tick();
    expect(admitted).toBeUndefined();
    gate.release();
    await tick();
    expect(admitted).toBe(true);
  });

  it('after a failed job drops the queued ones, takes no batch, then resumes at the failed batch after a backoff', async () => {
    const { l, resumed, errors } = lanes({ depth: 3, retryMs: 30 });
    const ran: number[] = [];
    l.push(2, { firstOffset: 100, run: async () => void ran.push(100) });
    l.push(2, { firstOffset: 200, run: async () => Promise.reject(new Error('connection terminated')) });
    l.push(2, { firstOffset: 300, run: async () => void ran.push(300) });
    await tick();
    expect(ran).toEqual([100]);
    expect(errors).toEqual(['connection terminated']);
    expect(await l.admit(2, beat, running)).toBe(false);
    expect(resumed).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect(resumed).toEqual([[2, 200]]);
    expect(await l.admit(2, beat, running)).toBe(true);
    expect(ran).toEqual([100]);
  });

  it('backs off longer after each failure in a row', async () => {
    const waits: number[] = [];
    const l = new PartitionLanes({ resume: () => undefined, onError: (_p, _e, wait) => waits.push(wait), retryMs: 5, maxRetryMs: 12 });
    for (let i = 0; i < 3; i++) {
      l.push(0, { firstOffset: 0, run: () => Promise.reject(new Error('down')) });
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(waits).toEqual([5, 10, 12]);
  });

  it('resumes where a job says (a gap), dropping what was queued behind it', async () => {
    const { l, resumed } = lanes({ depth: 3 });
    const ran: number[] = [];
    l.push(0, { firstOffset: 500, run: async () => ({ resumeAt: 400 }) });
    l.push(0, { firstOffset: 600, run: async () => void ran.push(600) });
    await tick();
    expect(resumed).toEqual([[0, 400]]);
    expect(ran).toEqual([]);
  });

  it('reset drops queued jobs but lets the one being applied finish; stop waits for it', async () => {
    const { l } = lanes({ depth: 3 });
    const gate = deferred();
    const ran: string[] = [];
    l.push(0, { firstOffset: 0, run: async () => { await gate.done; ran.push('in flight'); } });
    l.push(0, { firstOffset: 1, run: async () => void ran.push('queued') });
    await tick();
    l.reset();
    l.push(0, { firstOffset: 1, run: async () => void ran.push('after reset') });
    const stopped = l.stop();
    gate.release();
    await stopped;
    expect(ran).toEqual(['in flight']);
    expect(await l.admit(0, beat, running)).toBe(false);
  });
  it('lets a later job join the one waiting to start, never the one running, nor one dropped by a reset or a failure', async () => {
    const { l } = lanes({ depth: 2, retryMs: 1000 });
    const ran: string[] = [];
    const gate = deferred();
    type Named = LaneJob & { name: string };
    // Each job takes up to two others in, and says so when it runs.
    const job = (name: string, before: () => Promise<void> = async () => undefined): Named => {
      const joined: string[] = [];
      return {
        name,
        firstOffset: 0,
        run: async () => {
          ran.push(joined.length ? `${name} with ${joined.join(', ')}` : name);
          await before();
        },
        join: (next) => joined.length < 2 && joined.push((next as Named).name) > 0,
      };
    };
    expect(l.offer(0, job('x'))).toBe(false); // nothing queued
    l.push(0, job('a', () => gate.done));
    await tick();
    expect(l.offer(0, job('b'))).toBe(false); // 'a' has started
    l.push(0, job('b'));
    expect([l.offer(0, job('c')), l.offer(0, job('d')), l.offer(0, job('e'))]).toEqual([true, true, false]);
    gate.release();
    await tick();
    expect(ran).toEqual(['a', 'b with c, d']);

    l.push(1, { firstOffset: 0, run: () => new Promise(() => undefined) });
    l.push(1, job('f'));
    l.reset([1]);
    expect(l.offer(1, job('g'))).toBe(false);
    l.push(2, { firstOffset: 7, run: () => Promise.reject(new Error('down')) });
    l.push(2, job('h'));
    await tick();
    expect(l.offer(2, job('i'))).toBe(false);
  });
  it('take: joins the waiting job, else queues the job once there is room, and takes nothing stale', async () => {
    const { l } = lanes({ depth: 2 });
    const gate = deferred();
    const joined: LaneJob[] = [];
    const waiting: LaneJob = { firstOffset: 1, run: async () => undefined, join: (next) => joined.push(next) > 0 };
    l.push(0, { firstOffset: 0, run: () => gate.done });
    await tick();
    expect(await l.take(0, waiting, beat, running, () => true)).toBe(true); // queued: the lane had room
    const later: LaneJob = { firstOffset: 2, run: async () => undefined };
    expect(await l.take(0, later, beat, running, () => true)).toBe(true);
    expect(joined).toEqual([later]);

    const lone: LaneJob = { firstOffset: 3, run: async () => undefined };
    let stale = false;
    l.push(1, { firstOffset: 0, run: () => gate.done });
    l.push(1, { firstOffset: 1, run: async () => undefined }); // full, and takes nobody in
    const taken = l.take(1, lone, beat, running, () => !stale);
    stale = true;
    gate.release();
    expect(await taken).toBe(false);
  });

  it('append: joins the waiting job, else queues without waiting for room, but not into a lane waiting to resume', async () => {
    const { l } = lanes({ depth: 1, retryMs: 1_000 });
    const gate = deferred();
    const ran: string[] = [];
    l.push(0, { firstOffset: 0, run: () => gate.done });
    expect(l.append(0, { firstOffset: 1, run: async () => void ran.push('past the depth') })).toBe(true);
    gate.release();
    await tick();
    expect(ran).toEqual(['past the depth']);
    l.push(1, { firstOffset: 5, run: () => Promise.reject(new Error('down')) });
    await tick();
    expect(l.append(1, { firstOffset: 6, run: async () => void ran.push('into a failed lane') })).toBe(false);
    await l.stop();
  });
});
