import { Cast, ChatPlan, V2_SINCE, chatScript } from './chat-script';
import { Random } from './random';
import { WireEvent } from './wire-event';

export interface SimulationOptions {
  chats: number;
  seed: number;
  /** When the first chat starts; default 2025-07-01, so that the v1 period (until 2025-07-17) is played too. */
  start?: number;
  /** Over how many days the chats start. */
  days?: number;
  channels?: number;
}

const NAMES = ['김민수', '이서연', 'Alice', 'Bob', '박지훈', '최유진', 'Carol', '정하늘', 'Dave', '=SUM(A1)'];

function castFor(channel: number): Cast {
  return {
    teams: [1, 2, 3].map((i) => ({ id: `t-${channel}-${i}`, name: `CS ${i}팀` })),
    managers: [1, 2, 3, 4, 5, 6].map((i) => ({ id: `m-${channel}-${i}`, name: `상담원${i}` })),
  };
}

interface Pending {
  events: WireEvent[];
  next: number;
  at: number;
  seq: number;
}

/** A min-heap of chats by the time of their next event; ties keep the order chats were added. */
class Timeline {
  private heap: Pending[] = [];

  get size() {
    return this.heap.length;
  }

  peek(): Pending | undefined {
    return this.heap[0];
  }

  private less(a: Pending, b: Pending) {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  push(p: Pending) {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): Pending {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * A realistic, deterministic stream of user-chat events in topic order: several channels, teams
 * and assignees, every medium including phone calls and missed calls, holds, reopens inside and
 * after the hour, CSAT, tags, custom profile keys, v1 events before 2025-07-17, user updates and a
 * few duplicate deliveries. Generated lazily: memory holds only the chats still in progress.
 */
export function* simulate(options: SimulationOptions): Generator<WireEvent> {
  const rng = new Random(options.seed);
  const start = options.start ?? Date.parse('2025-07-01T00:00:00Z');
  const spacing = ((options.days ?? 60) * 86_400_000) / Math.max(1, options.chats);
  const channels = options.channels ?? 3;
  const casts = Array.from({ length: channels }, (_, i) => castFor(i + 1));
  const timeline = new Timeline();
  let seq = 0;

  const drainUntil = function* (limit: number): Generator<WireEvent> {
    while (timeline.size && timeline.peek()!.at <= limit) {
      const p = timeline.pop();
      yield p.events[p.next++];
      if (p.next < p.events.length) timeline.push({ ...p, at: Date.parse(p.events[p.next].occurredAt), seq: seq++ });
    }
  };

  for (let i = 0; i < options.chats; i++) {
    const at = Math.round(start + i * spacing + rng.next() * spacing);
    yield* drainUntil(at);
    const channel = rng.int(1, channels);
    const userNo = rng.int(1, Math.max(1, Math.floor(options.chats / (2 * channels))));
    const plan: ChatPlan = {
      channelId: `ch-${channel}`,
      userChatId: `uc-${options.seed}-${i}`,
      user: { id: `u-${channel}-${userNo}`, name: NAMES[userNo % NAMES.length] },
      start: at,
      cast: casts[channel - 1],
    };
    const events = chatScript(plan, rng);
    if (rng.chance(0.08)) events.push(userUpdate(plan, rng, at + rng.int(1, 3600) * 1000, `${plan.userChatId}-user`));
    events.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt));
    timeline.push({ events, next: 0, at: Date.parse(events[0].occurredAt), seq: seq++ });
  }
  yield* drainUntil(Number.POSITIVE_INFINITY);
}

function userUpdate(plan: ChatPlan, rng: Random, at: number, id: string): WireEvent {
  const profile: Record<string, unknown> = { email: `${plan.user.id}@example.com` };
  if (rng.chance(0.5)) profile.mobileNumber = `+8210${rng.int(10_000_000, 99_999_999)}`;
  if (rng.chance(0.2)) profile.grade = rng.pick(['gold', 'silver', null]);
  return {
    id,
    type: 'user.updated',
    version: at < V2_SINCE ? 1 : 2,
    occurredAt: new Date(at).toISOString(),
    channelId: plan.channelId,
    data: { user: { id: plan.user.id, ...(rng.chance(0.3) && { name: `${plan.user.name}*` }), profile } },
  };
}
