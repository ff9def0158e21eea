import { describe, expect, it } from 'vitest';
import { CaseStatsEvent, EVENT_TYPES, EventError, EventErrorCode, eventKey, parseEvent } from './index';

// shared/spec/events.md: the envelope, every type's data, version 1 upcast, and what is refused.

const OCCURRED = '2025-07-01T01:02:03.456Z';
const OCCURRED_MS = Date.parse(OCCURRED);
const ENVELOPE = { id: 'e-1001', version: 2, occurredAt: OCCURRED, channelId: 'ch-1', userChatId: 'uc-42' };

type Json = Record<string, unknown>;

function line(fields: Json): string {
  return JSON.stringify({ ...ENVELOPE, ...fields });
}

function accepted(raw: string | Uint8Array): CaseStatsEvent {
  const result = parseEvent(raw);
  if (!result.ok) throw new Error(`refused: ${result.error.code} ${result.error.reason}`);
  return result.event;
}

function refused(raw: string | Uint8Array): EventError {
  const result = parseEvent(raw);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.event)}`);
  return result.error;
}

/** The parsed chat event: the envelope without `version`, times as epoch ms. */
function chatEvent(type: string, data: Json) {
  return { id: 'e-1001', type, occurredAt: OCCURRED_MS, channelId: 'ch-1', userChatId: 'uc-42', data };
}

// [type, data as sent, data as parsed]; the same for version 1 and 2 except userChat.created.
const CHAT_TYPES: [string, Json, Json][] = [
  ['userChat.queued', {}, { initiatedBy: 'user' }],
  ['userChat.queued', { initiatedBy: 'manager' }, { initiatedBy: 'manager' }],
  ['userChat.opened', { assignment: 'auto' }, { assignment: 'auto', initiatedBy: 'user' }],
  ['userChat.opened', { assignment: 'manual', initiatedBy: 'manager' }, { assignment: 'manual', initiatedBy: 'manager' }],
  ['userChat.snoozed', {}, {}],
  ['userChat.snoozed', { until: '2025-07-01T11:00:00.000+09:00' }, { until: Date.parse('2025-07-01T02:00:00.000Z') }],
  ['userChat.unsnoozed', {}, {}],
  ['userChat.closed', {}, {}],
  ['call.missed', {}, {}],
  ['call.missed', { callId: 'call-1' }, { callId: 'call-1' }],
  ['message.created', { personType: 'user' }, { personType: 'user' }],
  ['message.created', { personType: 'manager', messageId: 'msg-1' }, { personType: 'manager', messageId: 'msg-1' }],
  ['message.created', { personType: 'bot' }, { personType: 'bot' }],
  ['userChat.assigneeChanged', { assignee: { id: 'm-1', name: '이상담' } }, { assignee: { id: 'm-1', name: '이상담' } }],
  ['userChat.assigneeChanged', { assignee: null }, { assignee: null }],
  ['userChat.teamChanged', { team: { id: 't-1', name: 'CS 1팀' } }, { team: { id: 't-1', name: 'CS 1팀' } }],
  ['userChat.teamChanged', { team: null }, { team: null }],
  [
    'userChat.followersChanged',
    { followers: [{ id: 'm-1', name: 'A' }, { id: 'm-2', name: 'B' }] },
    { followers: [{ id: 'm-1', name: 'A' }, { id: 'm-2', name: 'B' }] },
  ],
  ['userChat.followersChanged', { followers: [] }, { followers: [] }],
  ['userChat.tagsChanged', { tags: ['환불', 'vip'] }, { tags: ['환불', 'vip'] }],
  ['userChat.tagsChanged', { tags: [] }, { tags: [] }],
  [
    'userChat.profileUpdated',
    { profile: { csat: 5, csatComment: 'good', orderNo: 'A-1', vip: true, visits: 3, gone: null } },
    { profile: { csat: 5, csatComment: 'good', orderNo: 'A-1', vip: true, visits: 3, gone: null } },
  ],
  ['userChat.profileUpdated', { profile: { csat: null, csatComment: null } }, { profile: { csat: null, csatComment: null } }],
  ['userChat.descriptionChanged', { description: '배송 문의' }, { description: '배송 문의' }],
  ['userChat.descriptionChanged', { description: null }, { description: null }],
  ['userChat.summarized', { summary: 'AI 요약' }, { summary: 'AI 요약' }],
  ['userChat.priorityChanged', { priority: 'high' }, { priority: 'high' }],
  ['userChat.priorityChanged', { priority: null }, { priority: null }],
  ['workflow.started', { workflowId: 'wf-1' }, { workflowId: 'wf-1' }],
];

const CREATED_V2 = {
  user: { id: 'u-1', name: '김민수' },
  medium: { name: 'appKakao', senderName: '@channel' },
  page: 'https://shop.example/p/1',
  marketing: { type: 'campaign', id: 'mk-9' },
  priority: 'high',
};

describe('valid events', () => {
  it('the contract has 18 types, and each is tested below', () => {
    const tested = new Set([...CHAT_TYPES.map(([type]) => type), 'userChat.created', 'user.updated']);
    expect(EVENT_TYPES).toHaveLength(18);
    expect([...tested].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('parses the example of the spec', () => {
    const example =
      '{"id":"e-1001","type":"userChat.opened","version":2,"occurredAt":"2025-07-01T01:02:03.456Z","channelId":"ch-1","userChatId":"uc-42","data":{"assignment":"auto"}}';
    expect(accepted(example)).toEqual(chatEvent('userChat.opened', { assignment: 'auto', initiatedBy: 'user' }));
  });

  it.each(CHAT_TYPES)('%s %j, version 2', (type, data, expected) => {
    expect(accepted(line({ type, data }))).toEqual(chatEvent(type, expected));
  });

  it.each(CHAT_TYPES)('%s %j, version 1', (type, data, expected) => {
    expect(accepted(line({ type, version: 1, data }))).toEqual(chatEvent(type, expected));
  });

  it.each(CHAT_TYPES)('%s %j, version absent (= 1)', (type, data, expected) => {
    const { version: _v, ...noVersion } = ENVELOPE;
    expect(accepted(JSON.stringify({ ...noVersion, type, data }))).toEqual(chatEvent(type, expected));
  });

  it('userChat.created version 2, every field', () => {
    expect(accepted(line({ type: 'userChat.created', data: CREATED_V2 }))).toEqual(chatEvent('userChat.created', CREATED_V2));
  });

  it('userChat.created version 2, required fields only', () => {
    const data = { user: { id: 'u-1', name: 'A' }, medium: { name: 'email' } };
    expect(accepted(line({ type: 'userChat.created', data }))).toEqual(chatEvent('userChat.created', data));
  });

  it.each(['inAppChat', 'phoneNumber', 'email', 'appNaverTalk', 'appInstagramMessenger', 'appLine', 'appKakao'])(
    'userChat.created accepts the medium %s',
    (name) => {
      const event = accepted(line({ type: 'userChat.created', data: { user: { id: 'u-1', name: 'A' }, medium: { name } } }));
      expect(event.type === 'userChat.created' && event.data.medium).toEqual({ name });
    },
  );

  it('userChat.created version 1 is upcast: medium.name = contactMediumType, medium.senderName = appMessenger', () => {
    const v1 = {
      user: { id: 'u-1', name: '김민수' },
      contactMediumType: 'appNaverTalk',
      appMessenger: 'app-7',
      page: 'https://shop.example/p/1',
      marketing: { type: 'oneTimeMsg', id: 'mk-1' },
      priority: 'low',
    };
    expect(accepted(line({ type: 'userChat.created', version: 1, data: v1 }))).toEqual(
      chatEvent('userChat.created', {
        user: { id: 'u-1', name: '김민수' },
        medium: { name: 'appNaverTalk', senderName: 'app-7' },
        page: 'https://shop.example/p/1',
        marketing: { type: 'oneTimeMsg', id: 'mk-1' },
        priority: 'low',
      }),
    );
  });

  it('userChat.created with the version absent is read as version 1', () => {
    const { version: _v, ...noVersion } = ENVELOPE;
    const data = { user: { id: 'u-1', name: 'A' }, contactMediumType: 'phoneNumber' };
    expect(accepted(JSON.stringify({ ...noVersion, type: 'userChat.created', data }))).toEqual(
      chatEvent('userChat.created', { user: { id: 'u-1', name: 'A' }, medium: { name: 'phoneNumber' } }),
    );
  });

  it('user.updated needs no userChatId; name and profile are optional', () => {
    const { userChatId: _c, ...noChat } = ENVELOPE;
    const full = { user: { id: 'u-1', name: 'New', profile: { email: 'a@example.com', tier: null } } };
    expect(accepted(JSON.stringify({ ...noChat, type: 'user.updated', data: full }))).toEqual({
      id: 'e-1001',
      type: 'user.updated',
      occurredAt: OCCURRED_MS,
      channelId: 'ch-1',
      data: full,
    });
    const bare = accepted(JSON.stringify({ ...noChat, type: 'user.updated', version: 1, data: { user: { id: 'u-1' } } }));
    expect(bare.data).toEqual({ user: { id: 'u-1' } });
  });

  it('user.updated with a userChatId is fine too (ignored)', () => {
    const event = accepted(line({ type: 'user.updated', data: { user: { id: 'u-1', name: 'A' } } }));
    expect(event).not.toHaveProperty('userChatId');
  });

  it('unknown extra fields are ignored, in the envelope and in data', () => {
    const event = accepted(
      line({
        type: 'userChat.created',
        partition: 3,
        traceId: 'abc',
        data: { ...CREATED_V2, user: { ...CREATED_V2.user, email: 'x@example.com' }, medium: { ...CREATED_V2.medium, extra: 1 }, extra: { deep: true } },
      }),
    );
    expect(event).toEqual(chatEvent('userChat.created', CREATED_V2));
    expect(accepted(line({ type: 'userChat.closed', data: { reason: 'done' } }))).toEqual(chatEvent('userChat.closed', {}));
  });

  it('reads UTF-8 bytes (a Kafka value) as well as a string', () => {
    const bytes = new TextEncoder().encode(line({ type: 'userChat.tagsChanged', data: { tags: ['환불'] } }));
    expect(accepted(bytes)).toEqual(chatEvent('userChat.tagsChanged', { tags: ['환불'] }));
    expect(accepted(Buffer.from(bytes))).toEqual(chatEvent('userChat.tagsChanged', { tags: ['환불'] }));
  });

  it('accepts ids of 1 and 128 characters', () => {
    expect(accepted(line({ id: 'x', type: 'userChat.closed', data: {} })).id).toBe('x');
    expect(accepted(line({ id: 'x'.repeat(128), type: 'userChat.closed', data: {} })).id).toHaveLength(128);
    // Characters, not UTF-16 units: 128 emoji are 256 units.
    expect([...accepted(line({ id: '😀'.repeat(128), type: 'userChat.closed', data: {} })).id]).toHaveLength(128);
  });

  it('eventKey is the chat, or the user for user.updated', () => {
    expect(eventKey(accepted(line({ type: 'userChat.closed', data: {} })))).toBe('uc-42');
    expect(eventKey(accepted(line({ type: 'user.updated', data: { user: { id: 'u-7' } } })))).toBe('u-7');
  });
});

describe('occurredAt', () => {
  const occurred = (occurredAt: unknown) => line({ occurredAt, type: 'userChat.closed', data: {} });

  it.each([
    ['2025-07-01T10:02:03.456+09:00', '2025-07-01T01:02:03.456Z'],
    ['2025-07-01T00:30:00.000+09:00', '2025-06-30T15:30:00.000Z'],
    ['2025-06-30T19:32:03.456-05:30', '2025-07-01T01:02:03.456Z'],
    ['2025-07-01T01:02:03.456+00:00', '2025-07-01T01:02:03.456Z'],
    ['2024-02-29T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
    ['2025-12-31T23:59:59.999Z', '2025-12-31T23:59:59.999Z'],
  ])('%s is %s', (text, utc) => {
    expect(accepted(occurred(text)).occurredAt).toBe(Date.parse(utc));
  });

  it('reads the platform\'s own layout exactly as Date does, across 1970–2100', () => {
    for (let t = Date.UTC(1970, 0, 1); t < Date.UTC(2100, 11, 31); t += 86_400_000 * 3 + 3_723_457) {
      const iso = new Date(t).toISOString();
      expect([iso, accepted(occurred(iso)).occurredAt]).toEqual([iso, t]);
    }
    expect(refused(occurred('2100-02-29T00:00:00.000Z')).code).toBe('EVENT.INVALID_ENVELOPE');
    expect(accepted(occurred('2000-02-29T12:00:00.000Z')).occurredAt).toBe(Date.UTC(2000, 1, 29, 12));
  });

  it('converts years below 100 as they are written', () => {
    expect(new Date(accepted(occurred('0025-07-01T00:00:00.000Z')).occurredAt).toISOString()).toBe('0025-07-01T00:00:00.000Z');
    expect(new Date(accepted(occurred('0099-12-31T23:00:00.000-01:00')).occurredAt).toISOString()).toBe('0100-01-01T00:00:00.000Z');
  });

  it.each([
    ['no zone', '2025-07-01T01:02:03.456'],
    ['an impossible date', '2025-02-30T00:00:00.000Z'],
    ['29 February of a common year', '2025-02-29T00:00:00.000Z'],
    ['31 April', '2025-04-31T00:00:00.000Z'],
    ['hour 24', '2025-07-01T24:00:00.000Z'],
    ['minute 60', '2025-07-01T23:60:00.000Z'],
    ['second 60', '2025-07-01T23:59:60.000Z'],
    ['an offset hour beyond 23', '2025-07-01T01:02:03.456+24:00'],
    ['an offset minute beyond 59', '2025-07-01T01:02:03.456+09:75'],
    ['a lower-case z', '2025-07-01T01:02:03.456z'],
    ['a space for T', '2025-07-01 01:02:03.456Z'],
    ['a date only', '2025-07-01'],
    ['epoch milliseconds', 1751331723456],
    ['null', null],
    ['an empty string', ''],
  ])('is refused with %s', (_name, value) => {
    const error = refused(occurred(value));
    expect(error.code).toBe('EVENT.INVALID_ENVELOPE');
    expect(error.reason).toMatch(/^occurredAt: /);
  });

  it('is refused when absent', () => {
    const { occurredAt: _o, ...rest } = ENVELOPE;
    expect(refused(JSON.stringify({ ...rest, type: 'userChat.closed', data: {} }))).toMatchObject({
      code: 'EVENT.INVALID_ENVELOPE',
      reason: expect.stringMatching(/^occurredAt: .*missing/),
    });
  });
});

describe('refused events: code and a reason naming the field', () => {
  const without = (key: string, fields: Json) => {
    const all: Json = { ...ENVELOPE, ...fields };
    delete all[key];
    return JSON.stringify(all);
  };

  it.each<[string, string | Uint8Array, EventErrorCode, RegExp]>([
    // not JSON, not UTF-8, not an object
    ['not JSON', '{"id":"e-1",', 'EVENT.INVALID_JSON', /JSON/],
    ['an empty line', '', 'EVENT.INVALID_JSON', /JSON/],
    ['two objects on a line', '{}{}', 'EVENT.INVALID_JSON', /JSON/],
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'EVENT.INVALID_JSON', /UTF-8/],
    ['a lone 0xff byte', new Uint8Array([0xff]), 'EVENT.INVALID_JSON', /UTF-8/],
    ['a JSON array', '[]', 'EVENT.INVALID_ENVELOPE', /^event: expected a JSON object, got an array/],
    ['a JSON number', '42', 'EVENT.INVALID_ENVELOPE', /^event: /],
    ['JSON null', 'null', 'EVENT.INVALID_ENVELOPE', /^event: /],
    ['a JSON string', '"userChat.closed"', 'EVENT.INVALID_ENVELOPE', /^event: /],
    // id
    ['a missing id', without('id', { type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^id: .*missing/],
    ['an empty id', line({ id: '', type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^id: /],
    ['an id of 129 characters', line({ id: 'x'.repeat(129), type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^id: .*1 to 128/],
    ['an id of 129 emoji', line({ id: '😀'.repeat(129), type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^id: .*1 to 128/],
    ['a numeric id', line({ id: 1001, type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^id: .*number 1001/],
    ['an id with NUL', line({ id: 'e\u0000', type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^id: /],
    // type
    ['a missing type', without('type', { data: {} }), 'EVENT.INVALID_ENVELOPE', /^type: /],
    ['an unknown type', line({ type: 'userChat.reopened', data: {} }), 'EVENT.UNKNOWN_TYPE', /^type: .*userChat\.reopened/],
    ['a type in the wrong case', line({ type: 'userchat.closed', data: {} }), 'EVENT.UNKNOWN_TYPE', /^type: /],
    // version
    ['version 3', line({ version: 3, type: 'userChat.closed', data: {} }), 'EVENT.UNSUPPORTED_VERSION', /^version: 3/],
    ['version 0', line({ version: 0, type: 'userChat.closed', data: {} }), 'EVENT.UNSUPPORTED_VERSION', /^version: 0/],
    ['version "2" (a string)', line({ version: '2', type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^version: .*integer/],
    ['version 1.5', line({ version: 1.5, type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^version: /],
    ['version null', line({ version: null, type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^version: /],
    // channelId, userChatId, data
    ['a missing channelId', without('channelId', { type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^channelId: /],
    ['an empty channelId', line({ channelId: '', type: 'userChat.closed', data: {} }), 'EVENT.INVALID_ENVELOPE', /^channelId: /],
    ['a missing userChatId', without('userChatId', { type: 'userChat.queued', data: {} }), 'EVENT.INVALID_ENVELOPE', /^userChatId: .*missing/],
    ['an empty userChatId', line({ userChatId: '', type: 'userChat.queued', data: {} }), 'EVENT.INVALID_ENVELOPE', /^userChatId: /],
    ['a numeric userChatId', line({ userChatId: 42, type: 'message.created', data: { personType: 'user' } }), 'EVENT.INVALID_ENVELOPE', /^userChatId: /],
    ['a missing data', without('data', { type: 'userChat.closed' }), 'EVENT.INVALID_ENVELOPE', /^data: .*missing/],
    ['data as an array', line({ type: 'userChat.closed', data: [] }), 'EVENT.INVALID_ENVELOPE', /^data: /],
    ['data null', line({ type: 'userChat.closed', data: null }), 'EVENT.INVALID_ENVELOPE', /^data: /],
    // data of the flow events
    ['assignment "robot"', line({ type: 'userChat.opened', data: { assignment: 'robot' } }), 'EVENT.INVALID_DATA', /^data\.assignment: .*auto, manual.*"robot"/],
    ['a missing assignment', line({ type: 'userChat.opened', data: {} }), 'EVENT.INVALID_DATA', /^data\.assignment: .*missing/],
    ['initiatedBy "bot"', line({ type: 'userChat.queued', data: { initiatedBy: 'bot' } }), 'EVENT.INVALID_DATA', /^data\.initiatedBy: /],
    ['personType "customer"', line({ type: 'message.created', data: { personType: 'customer' } }), 'EVENT.INVALID_DATA', /^data\.personType: /],
    ['a missing personType', line({ type: 'message.created', data: {} }), 'EVENT.INVALID_DATA', /^data\.personType: /],
    ['a numeric messageId', line({ type: 'message.created', data: { personType: 'user', messageId: 7 } }), 'EVENT.INVALID_DATA', /^data\.messageId: /],
    ['until without a zone', line({ type: 'userChat.snoozed', data: { until: '2025-07-01T02:00:00' } }), 'EVENT.INVALID_DATA', /^data\.until: /],
    ['a numeric callId', line({ type: 'call.missed', data: { callId: 5 } }), 'EVENT.INVALID_DATA', /^data\.callId: /],
    // data of the attribute events
    ['tags [1]', line({ type: 'userChat.tagsChanged', data: { tags: [1] } }), 'EVENT.INVALID_DATA', /^data\.tags\[0\]: .*number 1/],
    ['tags as a string', line({ type: 'userChat.tagsChanged', data: { tags: 'vip' } }), 'EVENT.INVALID_DATA', /^data\.tags: .*array/],
    ['a follower without a name', line({ type: 'userChat.followersChanged', data: { followers: [{ id: 'm-1', name: 'A' }, { id: 'm-2' }] } }), 'EVENT.INVALID_DATA', /^data\.followers\[1\]\.name: /],
    ['a follower as a string', line({ type: 'userChat.followersChanged', data: { followers: ['m-1'] } }), 'EVENT.INVALID_DATA', /^data\.followers\[0\]: /],
    ['a missing followers', line({ type: 'userChat.followersChanged', data: {} }), 'EVENT.INVALID_DATA', /^data\.followers: /],
    ['a missing assignee (null must be explicit)', line({ type: 'userChat.assigneeChanged', data: {} }), 'EVENT.INVALID_DATA', /^data\.assignee: .*missing/],
    ['an assignee with a numeric id', line({ type: 'userChat.assigneeChanged', data: { assignee: { id: 1, name: 'A' } } }), 'EVENT.INVALID_DATA', /^data\.assignee\.id: /],
    ['a team as a string', line({ type: 'userChat.teamChanged', data: { team: 't-1' } }), 'EVENT.INVALID_DATA', /^data\.team: /],
    ['profile.csat "5"', line({ type: 'userChat.profileUpdated', data: { profile: { csat: '5' } } }), 'EVENT.INVALID_DATA', /^data\.profile\.csat: .*number.*"5"/],
    ['profile.csatComment 5', line({ type: 'userChat.profileUpdated', data: { profile: { csatComment: 5 } } }), 'EVENT.INVALID_DATA', /^data\.profile\.csatComment: /],
    ['a profile value that is an object', line({ type: 'userChat.profileUpdated', data: { profile: { address: { city: 'Seoul' } } } }), 'EVENT.INVALID_DATA', /^data\.profile\.address: /],
    ['a profile as an array', line({ type: 'userChat.profileUpdated', data: { profile: [] } }), 'EVENT.INVALID_DATA', /^data\.profile: /],
    ['a missing description (null must be explicit)', line({ type: 'userChat.descriptionChanged', data: {} }), 'EVENT.INVALID_DATA', /^data\.description: /],
    ['a numeric description', line({ type: 'userChat.descriptionChanged', data: { description: 5 } }), 'EVENT.INVALID_DATA', /^data\.description: /],
    ['a null summary', line({ type: 'userChat.summarized', data: { summary: null } }), 'EVENT.INVALID_DATA', /^data\.summary: /],
    ['a missing priority', line({ type: 'userChat.priorityChanged', data: {} }), 'EVENT.INVALID_DATA', /^data\.priority: /],
    ['an empty workflowId', line({ type: 'workflow.started', data: { workflowId: '' } }), 'EVENT.INVALID_DATA', /^data\.workflowId: /],
    // userChat.created
    ['created without user.name', line({ type: 'userChat.created', data: { ...CREATED_V2, user: { id: 'u-1' } } }), 'EVENT.INVALID_DATA', /^data\.user\.name: /],
    ['created without user', line({ type: 'userChat.created', data: { medium: { name: 'email' } } }), 'EVENT.INVALID_DATA', /^data\.user: /],
    ['created v2 without medium', line({ type: 'userChat.created', data: { user: { id: 'u-1', name: 'A' }, contactMediumType: 'email' } }), 'EVENT.INVALID_DATA', /^data\.medium: /],
    ['an unknown medium', line({ type: 'userChat.created', data: { ...CREATED_V2, medium: { name: 'fax' } } }), 'EVENT.INVALID_DATA', /^data\.medium\.name: .*"fax"/],
    ['a numeric senderName', line({ type: 'userChat.created', data: { ...CREATED_V2, medium: { name: 'appLine', senderName: 1 } } }), 'EVENT.INVALID_DATA', /^data\.medium\.senderName: /],
    ['marketing.type "spam"', line({ type: 'userChat.created', data: { ...CREATED_V2, marketing: { type: 'spam', id: 'x' } } }), 'EVENT.INVALID_DATA', /^data\.marketing\.type: /],
    ['a numeric page', line({ type: 'userChat.created', data: { ...CREATED_V2, page: 5 } }), 'EVENT.INVALID_DATA', /^data\.page: /],
    ['created v1 without contactMediumType', line({ type: 'userChat.created', version: 1, data: { user: { id: 'u-1', name: 'A' }, medium: { name: 'email' } } }), 'EVENT.INVALID_DATA', /^data\.contactMediumType: /],
    ['created v1 with a numeric appMessenger', line({ type: 'userChat.created', version: 1, data: { user: { id: 'u-1', name: 'A' }, contactMediumType: 'appLine', appMessenger: 7 } }), 'EVENT.INVALID_DATA', /^data\.appMessenger: /],
    // user.updated
    ['user.updated without user', line({ type: 'user.updated', data: {} }), 'EVENT.INVALID_DATA', /^data\.user: /],
    ['user.updated with an empty user.id', line({ type: 'user.updated', data: { user: { id: '' } } }), 'EVENT.INVALID_DATA', /^data\.user\.id: /],
    ['user.updated with a numeric name', line({ type: 'user.updated', data: { user: { id: 'u-1', name: 5 } } }), 'EVENT.INVALID_DATA', /^data\.user\.name: /],
    ['user.updated with a profile array', line({ type: 'user.updated', data: { user: { id: 'u-1', profile: ['a'] } } }), 'EVENT.INVALID_DATA', /^data\.user\.profile: /],
  ])('%s', (_name, raw, code, reason) => {
    const error = refused(raw);
    expect(error.code).toBe(code);
    expect(error.reason).toMatch(reason);
  });

  it('a version-2 userChat.created sent without a version is read as version 1, so it misses contactMediumType', () => {
    const { version: _v, ...noVersion } = ENVELOPE;
    expect(refused(JSON.stringify({ ...noVersion, type: 'userChat.created', data: CREATED_V2 }))).toMatchObject({
      code: 'EVENT.INVALID_DATA',
      reason: expect.stringMatching(/^data\.contactMediumType: /),
    });
  });

  it('an unknown type is refused as unknown whatever its version', () => {
    expect(refused(line({ type: 'chat.deleted', version: 3, data: {} })).code).toBe('EVENT.UNKNOWN_TYPE');
  });

  it('only the chat profile types csat and csatComment; a user profile key may hold any value', () => {
    const event = accepted(line({ type: 'user.updated', data: { user: { id: 'u-1', profile: { csat: 'high', csatComment: 3 } } } }));
    expect(event.data).toEqual({ user: { id: 'u-1', profile: { csat: 'high', csatComment: 3 } } });
  });

  it('a refusal never throws, whatever the input', () => {
    for (const raw of ['', ' ', '{', 'true', '{"data":{}}', new Uint8Array([]), new Uint8Array([0xc0, 0x80])]) {
      expect(() => parseEvent(raw)).not.toThrow();
      expect(parseEvent(raw).ok).toBe(false);
    }
  });
});

describe('a reason is ours: bounded, never the input quoted whole, always storable text', () => {
  // PostgreSQL refuses NUL in text and lone surrogates are not UTF-8: a reason holding either
  // made its batch roll back and the partition retry it for good (issue 22, item 1).
  const storable = (reason: string) => {
    expect(reason).not.toContain('\u0000');
    expect((reason as string & { isWellFormed(): boolean }).isWellFormed()).toBe(true);
    expect(reason.length).toBeLessThanOrEqual(300);
  };

  it.each([
    ['a line holding only NUL', new Uint8Array([0]), /^not valid UTF-8 JSON: unexpected character U\+0000$/],
    ['900 kB of control bytes', new Uint8Array(900_000).map((_, i) => i % 32), /^not valid UTF-8 JSON: unexpected character U\+0000$/],
    ['a broken object', '{"a":}', /^not valid UTF-8 JSON: unexpected character '}' \(U\+007D\)$/],
    ['a cut object', '{"id":"e-1",', /^not valid UTF-8 JSON: Expected double-quoted property name in JSON at position 12$/],
    ['a NUL inside a string', '{"a":"\u0000"}', /^not valid UTF-8 JSON: Bad control character in string literal in JSON at position 6$/],
    ['a NUL after a long prefix', `{"id":"${'x'.repeat(100_000)}"\u0000}`, /^not valid UTF-8 JSON: /],
  ])('%s', (_name, raw, reason) => {
    const error = refused(raw);
    expect(error.code).toBe('EVENT.INVALID_JSON');
    expect(error.reason).toMatch(reason);
    storable(error.reason);
  });

  it('quotes at most 40 characters of a value, escaped', () => {
    const unknown = refused(line({ type: 't'.repeat(1_000_000), data: {} }));
    expect(unknown).toMatchObject({ code: 'EVENT.UNKNOWN_TYPE', reason: `type: unknown event type "${'t'.repeat(40)}…"` });
    const nulType = refused(line({ type: `\u0000${'t'.repeat(1_000_000)}`, data: {} }));
    expect(nulType.code).toBe('EVENT.INVALID_ENVELOPE');
    storable(nulType.reason);
    const nul = refused(line({ type: 'userChat.summarized', data: { summary: `a\u0000${'b'.repeat(500_000)}` } }));
    expect(nul).toMatchObject({ code: 'EVENT.INVALID_DATA', reason: expect.stringMatching(/^data\.summary: expected text without NUL characters/) });
    storable(nul.reason);
    const surrogate = refused(line({ type: 'userChat.summarized', data: { summary: '\ud800x' } }));
    storable(surrogate.reason);
    const number = refused(line({ type: 'userChat.summarized', data: { summary: 1e300 } }));
    storable(number.reason);
  });
});
