import { MigrationInterface, QueryRunner } from 'typeorm';
import { eventIdsInStateDdl } from '../projection-schema';
import { inEveryProjection } from './projection-schemas';

/** Applied event ids beside each chat's and user's state, in every projection schema there is. */
export class EventIdsInState1764000200000 implements MigrationInterface {
  name = 'EventIdsInState1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, eventIdsInStateDdl);
  }

  async down(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, (s) => [`ALTER TABLE ${s}.chat_states DROP COLUMN event_ids`, `ALTER TABLE ${s}.users DROP COLUMN event_ids`]);
  }
}
