import { DataSource, QueryRunner } from 'typeorm';
import Cursor from 'pg-cursor';
import type { PoolClient } from 'pg';
import { assertSchemaName } from './projection-schema';

/** The export's selection: one channel, a half-open range of case creation, and the dashboard filters. */
export interface CaseSelection {
  channelId: string;
  from: Date;
  toExclusive: Date;
  teamIds?: string[];
  assigneeIds?: string[];
  tags?: string[];
  mediumNames?: string[];
  directions?: string[];
  caseStates?: string[];
  userChatStates?: string[];
}

const FILTERS: [keyof CaseSelection, string, string][] = [
  ['teamIds', 'team_id', '= ANY'],
  ['assigneeIds', 'assignee_id', '= ANY'],
  ['mediumNames', 'medium_name', '= ANY'],
  ['directions', 'direction', '= ANY'],
  ['caseStates', 'case_state', '= ANY'],
  ['userChatStates', 'user_chat_state', '= ANY'],
  // "A case matches if it has any of them."
  ['tags', 'tags', '&&'],
];

export function selectionWhere(sel: CaseSelection, alias = 'r'): { where: string; params: unknown[] } {
  const params: unknown[] = [sel.channelId, sel.from.toISOString(), sel.toExclusive.toISOString()];
  const clauses = [`${alias}.channel_id = $1`, `${alias}.case_created_at >= $2`, `${alias}.case_created_at < $3`];
  for (const [key, column, op] of FILTERS) {
    const values = sel[key] as string[] | undefined;
    if (!values?.length) continue;
    params.push(values);
    clauses.push(`${alias}.${column} ${op}($${params.length}::text[])`);
  }
  return { where: clauses.join(' AND '), params };
}

/** Counts without a snapshot: to refuse an oversized request before a job is accepted. */
export async function countCases(db: DataSource, schema: string, sel: CaseSelection): Promise<number> {
  const { where, params } = selectionWhere(sel);
  const [row] = await db.query(`SELECT count(*)::int AS n FROM ${assertSchemaName(schema)}.case_records r WHERE ${where}`, params);
  return row.n;
}

/** A raw case row as stored: snake_case columns, Date times, the tag array. */
export type CaseRow = Record<string, unknown> & { tags: string[]; profile: Record<string, unknown> };

export interface UserRowForExport {
  user_id: string;
  name: string | null;
  profile: Record<string, unknown>;
}

/**
 * One consistent view of a selection for an export: the count, the profile keys, the case rows and
 * their users all come from one repeatable-read snapshot on one connection, so the file agrees with
 * itself while the projector keeps writing. Rows stream through server-side cursors.
 */
export class CaseSnapshot {
  /**
   * A cursor read on a terminated connection would wait forever, so every wait also listens for the
   * connection's death. (Not Promise.race against one long-lived promise: each race would leave a
   * reaction on it holding that read's rows, and memory would grow with the row count.)
   */
  private failure: Error | null = null;
  private readonly waiting = new Set<(err: Error) => void>();

  private constructor(
    private readonly runner: QueryRunner,
    private readonly client: PoolClient,
    private readonly schema: string,
    private readonly sel: CaseSelection,
  ) {
    const fail = (err?: Error) => {
      this.failure ??= err ?? new Error('the database connection ended during the export');
      for (const reject of this.waiting) reject(this.failure);
      this.waiting.clear();
    };
    client.once('error', fail);
    client.once('end', () => fail());
  }

  private guarded<T>(work: Promise<T>): Promise<T> {
    if (this.failure) {
      work.catch(() => undefined);
      return Promise.reject(this.failure);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      work.then(
        (value) => {
          this.waiting.delete(reject);
          resolve(value);
        },
        (err) => {
          this.waiting.delete(reject);
          reject(err);
        },
      );
    });
  }

  static async open(db: DataSource, schema: string, sel: CaseSelection): Promise<CaseSnapshot> {
    assertSchemaName(schema);
    const runner = db.createQueryRunner('slave');
    const client = (await runner.connect()) as PoolClient;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    } catch (err) {
      await runner.release();
      throw err;
    }
    return new CaseSnapshot(runner, client, schema, sel);
  }

  private async query<T>(text: string, params: unknown[]): Promise<T[]> {
    return (await this.guarded(this.client.query(text, params))).rows as T[];
  }

  async count(): Promise<number> {
    const { where, params } = selectionWhere(this.sel);
    const [row] = await this.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.schema}.case_records r WHERE ${where}`, params);
    return row.n;
  }

  /** Custom profile keys present in the selected cases (csat and csatComment have columns of their own). */
  async caseProfileKeys(): Promise<string[]> {
    const { where, params } = selectionWhere(this.sel);
    const rows = await this.query<{ key: string }>(
      `SELECT DISTINCT k.key COLLATE "C" AS key FROM ${this.schema}.case_records r, jsonb_object_keys(r.profile) AS k(key)
        WHERE ${where} AND r.profile <> '{}'::jsonb AND k.key NOT IN ('csat', 'csatComment') ORDER BY 1`,
      params,
    );
    return rows.map((r) => r.key);
  }

  async userProfileKeys(): Promise<string[]> {
    const { where, params } = selectionWhere(this.sel);
    const rows = await this.query<{ key: string }>(
      `SELECT DISTINCT k.key COLLATE "C" AS key FROM ${this.schema}.users u, jsonb_object_keys(u.profile) AS k(key)
        WHERE u.channel_id = $1 AND u.user_id IN (${this.caseUsers(where)}) ORDER BY 1`,
      params,
    );
    return rows.map((r) => r.key);
  }

  /** The selected cases in export order. */
  cases(batchSize = 2000): AsyncGenerator<CaseRow[]> {
    const { where, params } = selectionWhere(this.sel);
    return this.stream<CaseRow>(
      `SELECT r.* FROM ${this.schema}.case_records r WHERE ${where} ORDER BY r.case_created_at, r.user_chat_case_id`,
      params,
      batchSize,
    );
  }

  /** The distinct customers of the selected cases, ordered by user id. */
  users(batchSize = 5000): AsyncGenerator<UserRowForExport[]> {
    const { where, params } = selectionWhere(this.sel);
    return this.stream<UserRowForExport>(
      `SELECT u.user_id, coalesce(u.updated_name, u.chat_name) AS name, u.profile FROM ${this.schema}.users u
        WHERE u.channel_id = $1 AND u.user_id IN (${this.caseUsers(where)}) ORDER BY u.user_id`,
      params,
      batchSize,
    );
  }

  private caseUsers(where: string): string {
    return `SELECT DISTINCT r.user_id FROM ${this.schema}.case_records r WHERE ${where} AND r.user_id IS NOT NULL`;
  }

  private async *stream<T>(text: string, params: unknown[], batchSize: number): AsyncGenerator<T[]> {
    const cursor = this.client.query(new Cursor<T>(text, params));
    try {
      for (;;) {
        const rows = await this.guarded(cursor.read(batchSize));
        if (!rows.length) return;
        yield rows;
      }
    } finally {
      await this.guarded(cursor.close()).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    try {
      await this.guarded(this.client.query('COMMIT'));
      await this.runner.release();
    } catch (err) {
      // The connection is gone (often the reason we are closing): nothing was written in this read-only
      // transaction, and the pool drops a client that died.
      void err;
      await this.runner.release().catch(() => undefined);
    }
  }
}
