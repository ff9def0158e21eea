import { MigrationInterface, QueryRunner } from 'typeorm';
import { initialProjectionDdl, projectionSchemaName } from '../projection-schema';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE projection_registry (
      name text PRIMARY KEY,
      active_schema text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE dead_letters (
      id bigserial PRIMARY KEY,
      source text NOT NULL,
      position text NOT NULL,
      code text NOT NULL,
      reason text NOT NULL,
      raw bytea NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (source, position))`);
    for (const sql of initialProjectionDdl(projectionSchemaName(1))) await q.query(sql);
    await q.query(`INSERT INTO projection_registry (name, active_schema) VALUES ('cases', $1)`, [projectionSchemaName(1)]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${projectionSchemaName(1)} CASCADE`);
    await q.query(`DROP TABLE dead_letters`);
    await q.query(`DROP TABLE projection_registry`);
  }
}
