import { MigrationInterface, QueryRunner } from 'typeorm';
import { customProfileKeysDdl } from '../projection-schema';

/** An index of the cases with custom profile keys, in every projection schema there is. */
export class CustomProfileIndex1764000300000 implements MigrationInterface {
  name = 'CustomProfileIndex1764000300000';

  async up(q: QueryRunner): Promise<void> {
    const schemas: { nspname: string }[] = await q.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^proj_[0-9]+$' ORDER BY nspname`);
    for (const { nspname } of schemas) for (const sql of customProfileKeysDdl(nspname)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    const schemas: { nspname: string }[] = await q.query(`SELECT nspname FROM pg_namespace WHERE nspname ~ '^proj_[0-9]+$'`);
    for (const { nspname } of schemas) await q.query(`DROP INDEX IF EXISTS ${nspname}.case_records_custom_profile_idx`);
  }
}
