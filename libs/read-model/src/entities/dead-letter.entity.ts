import { EntitySchema } from 'typeorm';

export interface DeadLetter {
  id: string;
  source: string;
  position: string;
  code: string;
  reason: string;
  raw: Buffer;
  receivedAt: Date;
}

/** An event refused at the edge, kept with its original bytes and the reason. */
export const DeadLetterEntity = new EntitySchema<DeadLetter>({
  name: 'DeadLetter',
  tableName: 'dead_letters',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    source: { type: 'text' },
    position: { type: 'text' },
    code: { type: 'text' },
    reason: { type: 'text' },
    raw: { type: 'bytea' },
    receivedAt: { type: 'timestamptz', name: 'received_at', createDate: true },
  },
  uniques: [{ name: 'dead_letters_source_position_key', columns: ['source', 'position'] }],
});
