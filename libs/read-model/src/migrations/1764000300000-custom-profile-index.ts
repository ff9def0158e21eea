import { MigrationInterface, QueryRunner } from 'typeorm';
import { customProfileKeysDdl } from '../projection-schema';
import { inEveryProjection } from './projection-schemas';

/** An index of the cases with custom profile keys, in every projection schema there is. */
export class CustomProfileIndex1764000300000 implements MigrationInterface {
  name = 'CustomProfileIndex1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, customProfileKeysDdl);
  }

  async down(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, (s) => [`DROP INDEX IF EXISTS ${s}.case_records_custom_profile_idx`]);
  }
}
