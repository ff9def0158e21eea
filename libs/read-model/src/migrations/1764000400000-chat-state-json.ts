import { MigrationInterface, QueryRunner } from 'typeorm';
import { chatStateJsonDdl } from '../projection-schema';
import { inEveryProjection } from './projection-schemas';

/** A chat's state is kept as json text, in every projection schema there is (see chatStateJsonDdl). */
export class ChatStateJson1764000400000 implements MigrationInterface {
  name = 'ChatStateJson1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, chatStateJsonDdl);
  }

  async down(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, (s) => [`ALTER TABLE ${s}.chat_states ALTER COLUMN state TYPE jsonb USING state::jsonb`]);
  }
}
