import { MigrationInterface, QueryRunner } from 'typeorm';

export class ExportJobs1764000100000 implements MigrationInterface {
  name = 'ExportJobs1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE export_jobs (
      id uuid PRIMARY KEY,
      channel_id text NOT NULL,
      member_id text NOT NULL,
      member_name text,
      from_date text NOT NULL,
      to_date text NOT NULL,
      timezone text NOT NULL,
      filters jsonb NOT NULL DEFAULT '{}',
      reason text NOT NULL,
      status text NOT NULL CONSTRAINT export_jobs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'expired')),
      rows_written integer NOT NULL DEFAULT 0,
      total_rows integer NOT NULL DEFAULT 0,
      error text,
      file_name text NOT NULL,
      file_path text,
      bytes bigint,
      sha256 text,
      attempts integer NOT NULL DEFAULT 0,
      worker_id text,
      heartbeat_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      expires_at timestamptz)`);
    await q.query(`CREATE INDEX export_jobs_channel_idx ON export_jobs (channel_id, created_at)`);
    await q.query(`CREATE INDEX export_jobs_status_idx ON export_jobs (status)`);
    await q.query(`CREATE TABLE export_audit (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      member_id text,
      member_name text,
      channel_id text NOT NULL,
      from_date text,
      to_date text,
      timezone text,
      filters jsonb,
      reason text,
      outcome text NOT NULL,
      http_status integer NOT NULL,
      error_code text,
      message text,
      job_id uuid,
      row_count integer,
      bytes bigint,
      sha256 text)`);
    await q.query(`CREATE INDEX export_audit_channel_idx ON export_audit (channel_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE export_audit`);
    await q.query(`DROP TABLE export_jobs`);
  }
}
