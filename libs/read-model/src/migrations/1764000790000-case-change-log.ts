import { MigrationInterface, QueryRunner } from 'typeorm';
import { caseChangeLogDdl } from '../projection-schema';
import { caseChangeLogBackfill } from '../case-changes.repository';
import { inEveryProjection } from './projection-schemas';

/**
 * The case change feed's log in every projection schema, holding the cases already there under
 * the transactions that wrote them (see case-changes.repository.ts).
 */
export class CaseChangeLog1764000790000 implements MigrationInterface {
  name = 'CaseChangeLog1764000790000';

  async up(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, (s) => [...caseChangeLogDdl(s), caseChangeLogBackfill(s)]);
  }

  async down(q: QueryRunner): Promise<void> {
    await inEveryProjection(q, (s) => [`DROP TABLE IF EXISTS ${s}.case_change_log`]);
  }
}
