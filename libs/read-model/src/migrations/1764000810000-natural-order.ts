import { MigrationInterface, QueryRunner } from 'typeorm';
import { NATURAL_ORDER_COLLATION, naturalOrderDdl } from '../projection-schema';

/** The collation that orders the User data sheet by userId as people read it (see naturalOrderDdl). */
export class NaturalOrder1764000810000 implements MigrationInterface {
  name = 'NaturalOrder1764000810000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of naturalOrderDdl()) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP COLLATION IF EXISTS ${NATURAL_ORDER_COLLATION}`);
  }
}
