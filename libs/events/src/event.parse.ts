import { isUtf8 } from 'node:buffer';
import { EventError, EventValidationError } from './event.error';
import { FieldReader, Json, boundedReason, fail, isObject, quoted, storableText } from './field.read';
import { readCreatedV1, readCreatedV2 } from './event.upcast';
import {
  CaseStatsEvent,
  EVENT_TYPES,
  EventType,
  Named,
  ProfilePatch,
  UserChatCreated,
  UserChatEvent,
} from './event.types';

export type ParseResult = { ok: true; event: CaseStatsEvent } | { ok: false; error: EventError };

const SUPPORTED_VERSIONS = [1, 2];
const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decoding; Buffer's own decoder (a fraction of TextDecoder's cost per small value) once the bytes are known valid. */
function utf8(raw: Uint8Array): string {
  if (!isUtf8(raw)) return decoder.decode(raw); // throws, with TextDecoder's own message
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
}

/** Raw bytes (a Kafka value, a file line) → a validated version-2 event, or the reason it is invalid. */
export function parseEvent(raw: Uint8Array | string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : utf8(raw));
  } catch (err) {
    return { ok: false, error: { code: 'EVENT.INVALID_JSON', reason: `not valid UTF-8 JSON: ${jsonErrorReason((err as Error).message)}` } };
  }
  try {
    return { ok: true, event: readEvent(json) };
  } catch (err) {
    if (err instanceof EventValidationError) return { ok: false, error: { code: err.code, reason: boundedReason(err.message) } };
    // Whatever the bytes, a partition goes on: an event this reader cannot take is a dead letter too.
    return { ok: false, error: { code: 'EVENT.INVALID_DATA', reason: `the event could not be read (${(err as Error)?.name ?? 'error'})` } };
  }
}

/**
 * Our words for a syntax error, never the input: V8's message quotes it (a NUL byte in a dead
 * letter's reason made PostgreSQL refuse the batch, and the partition retried it for good).
 */
function jsonErrorReason(message: string): string {
  const token = /^Unexpected token '([\s\S]+?)', /u.exec(message);
  if (token) return `unexpected character ${characterName(token[1])}`;
  // V8's own sentences without a quote of the input ("Unexpected end of JSON input", "… at position 12").
  if (message.length <= 120 && /^[A-Za-z0-9 ':,.-]+$/.test(message)) return message;
  // TextDecoder's, and anything else: a fixed text.
  return message === decoderMessage ? message : 'a syntax error';
}

const decoderMessage = (() => {
  try {
    decoder.decode(new Uint8Array([0xff]));
  } catch (err) {
    return (err as Error).message;
  }
  return '';
})();

/** `'}' (U+007D)` for printable ASCII, else only the code point. */
function characterName(text: string): string {
  const cp = text.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp > 0x20 && cp < 0x7f ? `'${String.fromCodePoint(cp)}' (${hex})` : hex;
}

function readEvent(json: unknown): CaseStatsEvent {
  if (!isObject(json)) fail('EVENT.INVALID_ENVELOPE', 'event', 'a JSON object', json);
  const env = new FieldReader('EVENT.INVALID_ENVELOPE', json, '');
  const id = env.str('id', 1, 128);
  const typeValue = env.str('type');
  if (!KNOWN_TYPES.has(typeValue)) {
    throw new EventValidationError('EVENT.UNKNOWN_TYPE', `type: unknown event type ${quoted(typeValue)}`);
  }
  const type = typeValue as EventType;
  const version = readVersion(json);
  const occurredAt = env.instant('occurredAt');
  const channelId = env.str('channelId', 1);
  env.obj_('data');
  const data = new FieldReader('EVENT.INVALID_DATA', json.data as Json, 'data');

  if (type === 'user.updated') {
    const user = data.obj_('user');
    const name = user.optStr('name');
    const profile = user.has('profile') ? readProfile(user.obj_('profile'), 'user') : undefined;
    return {
      id,
      type,
      occurredAt,
      channelId,
      data: { user: { id: user.str('id', 1), ...(name !== undefined && { name }), ...(profile && { profile }) } },
    };
  }
  const userChatId = env.str('userChatId', 1);
  return { id, occurredAt, channelId, userChatId, type, data: readChatData(type, version, data) } as UserChatEvent;
}

function readVersion(json: Json): number {
  const v = json.version;
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail('EVENT.INVALID_ENVELOPE', 'version', 'an integer', v);
  if (!SUPPORTED_VERSIONS.includes(v)) {
    throw new EventValidationError('EVENT.UNSUPPORTED_VERSION', `version: ${v} is not supported (1 or 2)`);
  }
  return v;
}

const INITIATORS = ['user', 'manager'] as const;

function readChatData(type: UserChatEvent['type'], version: number, d: FieldReader): UserChatEvent['data'] {
  switch (type) {
    case 'userChat.created':
      return readCreated(version, d);
    case 'userChat.queued':
      return { initiatedBy: d.optOneOf('initiatedBy', INITIATORS, 'user') };
    case 'userChat.opened':
      return {
        assignment: d.oneOf('assignment', ['auto', 'manual'] as const),
        initiatedBy: d.optOneOf('initiatedBy', INITIATORS, 'user'),
      };
    case 'userChat.snoozed': {
      const until = d.optInstant('until');
      return until === undefined ? {} : { until };
    }
    case 'userChat.unsnoozed':
    case 'userChat.closed':
      return {};
    case 'call.missed': {
      const callId = d.optStr('callId');
      return callId === undefined ? {} : { callId };
    }
    case 'message.created': {
      const messageId = d.optStr('messageId');
      const personType = d.oneOf('personType', ['user', 'manager', 'bot'] as const);
      return messageId === undefined ? { personType } : { personType, messageId };
    }
    case 'userChat.assigneeChanged':
      return { assignee: readNullableNamed(d, 'assignee') };
    case 'userChat.teamChanged':
      return { team: readNullableNamed(d, 'team') };
    case 'userChat.followersChanged':
      return { followers: d.each('followers', readNamed) };
    case 'userChat.tagsChanged':
      return { tags: d.strings('tags') };
    case 'userChat.profileUpdated':
      return { profile: readProfile(d.obj_('profile'), 'chat') };
    case 'userChat.descriptionChanged':
      return { description: required(d, 'description') && d.nullableStr('description') };
    case 'userChat.summarized':
      return { summary: d.str('summary') };
    case 'userChat.priorityChanged':
      return { priority: required(d, 'priority') && d.nullableStr('priority') };
    case 'workflow.started':
      return { workflowId: d.str('workflowId', 1) };
    default: {
      const _exhaustive: never = type;
      throw new Error(`unhandled event type ${String(_exhaustive)}`);
    }
  }
}

function readCreated(version: number, d: FieldReader): UserChatCreated['data'] {
  const user = d.obj_('user');
  const { medium } = version === 1 ? readCreatedV1(d) : readCreatedV2(d);
  const page = d.optStr('page');
  const priority = d.optStr('priority');
  const marketing = d.optObj('marketing');
  return {
    user: { id: user.str('id', 1), name: user.str('name') },
    medium,
    ...(page !== undefined && { page }),
    ...(priority !== undefined && { priority }),
    ...(marketing && {
      marketing: { type: marketing.oneOf('type', ['oneTimeMsg', 'campaign'] as const), id: marketing.str('id', 1) },
    }),
  };
}

/** A key that may hold null must still be present: an absent one is a malformed event. */
function required(d: FieldReader, key: string): true {
  if (d.raw(key) === undefined) fail('EVENT.INVALID_DATA', d.pathOf(key), 'a value or null');
  return true;
}

function readNamed(r: FieldReader): Named {
  return { id: r.str('id', 1), name: r.str('name') };
}

function readNullableNamed(d: FieldReader, key: string): Named | null {
  required(d, key);
  const r = d.nullableObj(key);
  return r && readNamed(r);
}

/** csat and csatComment are standard keys of the chat profile only; a user profile has none. */
function readProfile(p: FieldReader, of: 'chat' | 'user'): ProfilePatch {
  const patch: ProfilePatch = {};
  for (const [key, value] of p.entries()) {
    if (!storableText(key) || key === '__proto__') fail('EVENT.INVALID_DATA', p.pathOf('<key>'), 'a key without NUL characters', key);
    const ok =
      value === null || (typeof value === 'string' && storableText(value)) || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) fail('EVENT.INVALID_DATA', p.pathOf(key), 'a string, number, boolean or null', value);
    if (of === 'chat' && key === 'csat' && value !== null && typeof value !== 'number') fail('EVENT.INVALID_DATA', p.pathOf(key), 'a number or null', value);
    if (of === 'chat' && key === 'csatComment' && value !== null && typeof value !== 'string') {
      fail('EVENT.INVALID_DATA', p.pathOf(key), 'a string or null', value);
    }
    patch[key] = value as ProfilePatch[string];
  }
  return patch;
}
