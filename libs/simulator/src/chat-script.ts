import { Random } from './random';
import { WireEvent } from './wire-event';

const MEDIA = [
  ['inAppChat', 40],
  ['phoneNumber', 15],
  ['email', 8],
  ['appKakao', 12],
  ['appNaverTalk', 9],
  ['appInstagramMessenger', 8],
  ['appLine', 8],
] as const;
const TAGS = ['배송', '환불', '교환', '결제', '회원', 'VIP', 'bug', '=cmd|calc', '불만'];
const PAGES = ['https://shop.example/', 'https://shop.example/p/1', 'https://shop.example/cart', 'https://shop.example/help'];
const SUMMARIES = ['배송 지연 문의, 환불 안내', '결제 오류 확인', 'Password reset', '교환 절차 안내', 'VIP 혜택 문의'];
const COMMENTS = ['친절해요', '느려요', 'Great help', '=HYPERLINK("http://x","y")', '만족'];
/** v1 producers until this instant (events.md). */
export const V2_SINCE = Date.parse('2025-07-17T00:00:00Z');

export interface Cast {
  teams: { id: string; name: string }[];
  managers: { id: string; name: string }[];
}

export interface ChatPlan {
  channelId: string;
  userChatId: string;
  user: { id: string; name: string };
  start: number;
  cast: Cast;
}

/** One chat's whole life as events in its topic order: one to four cases, with everything cases.md measures. */
export function chatScript(plan: ChatPlan, rng: Random): WireEvent[] {
  const events: WireEvent[] = [];
  let t = plan.start;
  let n = 0;
  const emit = (type: string, data: Record<string, unknown>, at = t) => {
    const version = at < V2_SINCE ? 1 : 2;
    events.push({
      id: `${plan.userChatId}-${++n}`,
      type,
      version,
      occurredAt: new Date(at).toISOString(),
      channelId: plan.channelId,
      userChatId: plan.userChatId,
      data,
    });
    // At-least-once delivery: now and then the same event comes twice.
    if (rng.chance(0.005)) events.push({ ...events[events.length - 1] });
  };
  const wait = (mean: number) => (t += rng.seconds(mean));

  const medium = rng.weighted(MEDIA);
  const phone = medium === 'phoneNumber';
  const senderName = medium === 'email' ? undefined : phone ? `+8216${rng.int(100000, 999999)}` : `acct-${rng.int(1, 50)}`;
  const marketing = rng.chance(0.2) ? { type: rng.pick(['oneTimeMsg', 'campaign'] as const), id: `mk-${rng.int(1, 30)}` } : undefined;
  const page = phone || rng.chance(0.3) ? undefined : rng.pick(PAGES);
  const createdData: Record<string, unknown> =
    t < V2_SINCE
      ? { user: plan.user, contactMediumType: medium, ...(senderName && { appMessenger: senderName }) }
      : { user: plan.user, medium: { name: medium, ...(senderName && { senderName }) } };
  emit('userChat.created', { ...createdData, ...(page && { page }), ...(marketing && { marketing }), ...(rng.chance(0.1) && { priority: 'high' }) });
  if (rng.chance(0.3)) emit('workflow.started', { workflowId: `wf-${rng.int(1, 9)}` }, (t += 500));

  const cases = rng.weighted([[1, 70], [2, 20], [3, 7], [4, 3]] as const);
  for (let c = 0; c < cases; c++) {
    const outbound = rng.chance(0.12);
    const queuedFirst = !outbound && rng.chance(0.75);
    wait(c === 0 ? 5 : 1);
    if (queuedFirst) emit('userChat.queued', {});
    if (!phone && !outbound) {
      wait(20);
      emit('message.created', { personType: 'user', messageId: `m-${n}` });
    }
    if (phone && queuedFirst && rng.chance(0.25)) {
      for (let m = rng.int(1, 2); m > 0; m--) {
        wait(60);
        emit('call.missed', { callId: `call-${n}` });
      }
    }
    if (rng.chance(0.5)) emit('userChat.teamChanged', { team: rng.pick(plan.cast.teams) }, (t += 200));
    wait(queuedFirst ? 90 : 5);
    const manual = outbound || rng.chance(0.3);
    emit('userChat.opened', { assignment: manual ? 'manual' : 'auto', ...(outbound && { initiatedBy: 'manager' }) });
    emit('userChat.assigneeChanged', { assignee: rng.pick(plan.cast.managers) }, (t += 100));
    if (rng.chance(0.15)) emit('userChat.followersChanged', { followers: [rng.pick(plan.cast.managers), rng.pick(plan.cast.managers)].filter((f, i, a) => a.findIndex((x) => x.id === f.id) === i) });

    for (let turn = rng.int(phone ? 0 : 1, phone ? 1 : 5); turn > 0; turn--) {
      if (rng.chance(0.1)) {
        wait(10);
        emit('message.created', { personType: 'bot' });
      }
      wait(120);
      emit('message.created', { personType: 'manager' });
      if (rng.chance(0.15)) {
        wait(60);
        emit('userChat.snoozed', { until: new Date(t + 3_600_000).toISOString() });
        if (rng.chance(0.2)) emit('userChat.snoozed', {}, (t += 30_000));
        wait(600);
        emit(rng.chance(0.8) ? 'userChat.unsnoozed' : 'userChat.queued', {});
      }
      wait(90);
      emit('message.created', { personType: 'user' });
      if (rng.chance(0.2)) emit('message.created', { personType: 'user' }, (t += 3_000));
    }
    if (!phone) {
      wait(60);
      emit('message.created', { personType: 'manager' });
    }
    if (rng.chance(0.3)) emit('userChat.tagsChanged', { tags: [rng.pick(TAGS), rng.pick(TAGS)].filter((x, i, a) => a.indexOf(x) === i) }, (t += 1000));
    if (rng.chance(0.05)) emit('userChat.descriptionChanged', { description: rng.chance(0.8) ? 'follow-up needed' : null }, (t += 1000));
    if (rng.chance(0.05)) emit('userChat.priorityChanged', { priority: rng.pick(['low', 'high', null]) }, (t += 1000));
    // Some chats are still open at the end of the stream.
    if (c === cases - 1 && rng.chance(0.04)) return events;
    wait(120);
    emit('userChat.closed', {});
    if (rng.chance(0.15)) emit('message.created', { personType: 'manager' }, (t += 5_000));
    if (rng.chance(0.45)) {
      const profile: Record<string, unknown> = { csat: rng.int(1, 5) };
      if (rng.chance(0.4)) profile.csatComment = rng.pick(COMMENTS);
      if (rng.chance(0.3)) profile.orderNo = `A-${rng.int(100, 999)}`;
      if (rng.chance(0.1)) profile.vip = rng.chance(0.5);
      emit('userChat.profileUpdated', { profile }, (t += rng.int(60, 1800) * 1000));
    }
    if (rng.chance(0.3)) emit('userChat.summarized', { summary: rng.pick(SUMMARIES) }, (t += 30_000));
    if (rng.chance(0.05)) emit('userChat.tagsChanged', { tags: [rng.pick(TAGS)] }, (t += 4_000_000));
    // The next case: a reopen inside the hour, or a new episode later.
    t += rng.chance(0.4) ? rng.int(60, 3000) * 1000 : rng.int(2, 48) * 3_600_000;
  }
  return events;
}
