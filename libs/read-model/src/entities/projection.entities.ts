import { EntitySchema } from 'typeorm';
import { CUSTOM_PROFILE_SQL, projectionSchemaName } from '../projection-schema';

/**
 * The projection tables, declared for TypeORM. The hot paths write them with set-based SQL
 * (jsonb_to_recordset upserts, one statement per table per batch), but these declarations are the
 * typed description of the schema, and a test checks that they and the migrations agree. They
 * describe the first projection schema; rebuilds create identical ones (projectionDdl).
 */
const schema = projectionSchemaName(1);
const text = { type: 'text' as const, nullable: true };
const time = { type: 'timestamptz' as const, nullable: true };
const int = { type: 'integer' as const, nullable: true };

export const CaseRecordEntity = new EntitySchema<Record<string, unknown>>({
  name: 'CaseRecord',
  tableName: 'case_records',
  schema,
  columns: {
    channel_id: { type: 'text', primary: true },
    user_chat_case_id: { type: 'text', primary: true, collation: 'C' },
    case_created_at: { type: 'timestamptz' },
    user_chat_case: { type: 'integer' },
    case_state: { type: 'text' },
    case_updated_at: { type: 'timestamptz' },
    user_chat_id: { type: 'text' },
    direction: { type: 'text' },
    user_chat_state: { type: 'text' },
    team_id: text,
    team_name: text,
    assignee_id: text,
    assignee_name: text,
    manager_ids: text,
    manager_names: text,
    user_id: text,
    user_name: text,
    created_at: time,
    first_queued_at: time,
    first_opened_at: time,
    first_asked_at: time,
    first_replied_at: time,
    closed_at: time,
    waiting_time: int,
    total_reply_time: { type: 'integer' },
    reply_count: { type: 'integer' },
    avg_reply_time: int,
    resolution_time: int,
    total_snoozed_time: { type: 'integer' },
    lead_time: int,
    snoozed_count: { type: 'integer' },
    missed_count: { type: 'integer' },
    description: text,
    summarized_message: text,
    tags: { type: 'text', array: true, default: () => "'{}'" },
    medium_name: text,
    medium_sender_name: text,
    marketing_type: text,
    marketing_id: text,
    workflow_id: text,
    page: text,
    priority: text,
    profile: { type: 'jsonb', default: () => "'{}'" },
  },
  indices: [
    { name: 'case_records_export_idx', columns: ['channel_id', 'case_created_at', 'user_chat_case_id'] },
    { name: 'case_records_custom_profile_idx', columns: ['channel_id', 'case_created_at'], where: `${CUSTOM_PROFILE_SQL()} <> '{}'::jsonb` },
  ],
  checks: [
    { name: 'case_records_case_state_check', expression: `case_state IN ('inProgress', 'completed')` },
    { name: 'case_records_direction_check', expression: `direction IN ('INBOUND', 'OUTBOUND')` },
  ],
});

export const ChatStateEntity = new EntitySchema<Record<string, unknown>>({
  name: 'ChatState',
  tableName: 'chat_states',
  schema,
  columns: {
    channel_id: { type: 'text', primary: true },
    user_chat_id: { type: 'text', primary: true },
    state: { type: 'json' },
    completion_due_at: time,
    event_ids: { type: 'text', array: true, default: () => "'{}'" },
  },
  indices: [{ name: 'chat_states_due_idx', columns: ['completion_due_at'], where: 'completion_due_at IS NOT NULL' }],
});

export const UserEntity = new EntitySchema<Record<string, unknown>>({
  name: 'User',
  tableName: 'users',
  schema,
  columns: {
    channel_id: { type: 'text', primary: true },
    user_id: { type: 'text', primary: true, collation: 'C' },
    updated_name: text,
    chat_name: text,
    chat_created_at: time,
    chat_id: text,
    profile: { type: 'jsonb', default: () => "'{}'" },
    event_ids: { type: 'text', array: true, default: () => "'{}'" },
  },
});

export const ProcessedEventEntity = new EntitySchema<{ event_id: string }>({
  name: 'ProcessedEvent',
  tableName: 'processed_events',
  schema,
  columns: { event_id: { type: 'text', primary: true } },
});

export const CheckpointEntity = new EntitySchema<Record<string, unknown>>({
  name: 'Checkpoint',
  tableName: 'checkpoints',
  schema,
  columns: {
    consumer: { type: 'text', primary: true },
    topic: { type: 'text', primary: true },
    partition: { type: 'integer', primary: true },
    next_offset: { type: 'bigint' },
    updated_at: { type: 'timestamptz', default: () => 'now()' },
    applied_until: { type: 'timestamptz', nullable: true },
  },
});

export const projectionEntities = [CaseRecordEntity, ChatStateEntity, UserEntity, ProcessedEventEntity, CheckpointEntity];
