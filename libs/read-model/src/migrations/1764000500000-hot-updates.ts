import { MigrationInterface, QueryRunner } from 'typeorm';
import { hotUpdatesDdl } from '../projection-schema';
import { inEveryProjection } from './projection-schemas';

/** Free room on the case-record pages the projector rewrites, in every projection schema (see hotUpdatesDdl). */
export class HotUpdates1764000500000 implements MigrationInterface {
  name = 'HotUpdates1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, hotUpdatesDdl);
  }

  async down(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, (s) => [`ALTER TABLE ${s}.case_records RESET (fillfactor)`]);
  }
}
