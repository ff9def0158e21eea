import { MigrationInterface, QueryRunner } from 'typeorm';
import { appliedUntilDdl } from '../projection-schema';
import { inEveryProjection } from './projection-schemas';

/** Each checkpoint's event-time watermark, in every projection schema (see appliedUntilDdl). */
export class AppliedUntil1764000600000 implements MigrationInterface {
  name = 'AppliedUntil1764000600000';

  async up(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, appliedUntilDdl);
  }

  async down(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, (s) => [`ALTER TABLE ${s}.checkpoints DROP COLUMN applied_until`]);
  }
}
