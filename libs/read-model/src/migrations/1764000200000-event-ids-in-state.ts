import { MigrationInterface, QueryRunner } from 'typeorm';
import { eventIdsInStateDdl } from '../projection-schema';

/** Applied event ids beside each chat's and user's state, in every projection schema there is. */
export class EventIdsInState1764000200000 implements MigrationInterface {
  name = 'EventIdsInState1764000200000';

  async up(q: QueryRunner): Promise<void> {
    const schemas: { nspname: string }[] = await q.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^proj_[0-9]+$' ORDER BY nspname`);
    for (const { nspname } of schemas) for (const sql of eventIdsInStateDdl(nspname)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const schemas: { nspname: string }[] = await q.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^proj_[0-9]+$'`);
    for (const { nspname } of schemas) {
      await q.query(`ALTER TABLE ${nspname}.chat_states DROP COLUMN event_ids`);
      await q.query(`ALTER TABLE ${nspname}.users DROP COLUMN event_ids`);
    }
  }
}
