import Cursor from 'pg-cursor';
import { Client, type ClientBase, type PoolClient } from 'pg';
import { assertSchemaName } from '@casestats/projection-write';
import { STORED_CASE_FIELDS, type CaseRecord } from '@casestats/case-projection';
import { CUSTOM_PROFILE_SQL, NATURAL_ORDER_COLLATION } from './projection-sql';
import { EPOCH_MS_TYPES } from './epoch-ms-types';
import { selectionWhere, type CaseSelection } from './case-selection';

type StoredCaseField = keyof CaseRecord;

/**
 * What the export's reads need of the app's TypeORM DataSource, by its shape: this library must not
 * load TypeORM, since the export's worker threads load it (and would pay TypeORM's start in each).
 */
export interface ReadSource {
  query<T>(text: string, params: unknown[]): Promise<T>;
  createQueryRunner(mode: 'slave'): { connect(): Promise<unknown>; release(): Promise<void> };
}

/** Snapshot ids are what pg_export_snapshot() returns, e.g. 00000003-0000001B-1. */
function literal(snapshotId: string): string {
  if (!/^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/i.test(snapshotId)) throw new Error(`not a snapshot id: ${JSON.stringify(snapshotId)}`);
  return `'${snapshotId}'`;
}

/** Counts without a snapshot: to refuse an oversized request before a job is accepted. */
export async function countCases(db: Pick<ReadSource, 'query'>, schema: string, sel: CaseSelection): Promise<number> {
  const { where, params } = selectionWhere(sel);
  const [row] = await db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${assertSchemaName(schema)}.case_records r WHERE ${where}`, params);
  return row.n;
}

/**
 * The case fields an export reads, in the order of each row array that exportRows() yields: every
 * stored field of the record (case.fields.ts). Times come as epoch milliseconds (no Date per cell),
 * tags already joined with ", " by PostgreSQL.
 */
export const EXPORT_CASE_FIELDS: readonly StoredCaseField[] = STORED_CASE_FIELDS.map((f) => f.key as StoredCaseField);
export type ExportCaseField = StoredCaseField;
/** A run of consecutive cases in export order: those created in [from, toExclusive). */
export interface CaseSlice {
  from: Date;
  toExclusive: Date;
  count: number;
}

/** One case as exportRows() yields it: values in EXPORT_CASE_FIELDS order. */
export type ExportCaseRow = unknown[];

const EXPORT_CASE_SELECT = STORED_CASE_FIELDS.map(({ column: { name, sql } }) => (sql === 'text[]' ? `array_to_string(r.${name}, ', ') AS ${name}` : `r.${name}`)).join(', ');

export interface UserRowForExport {
  user_id: string;
  name: string | null;
  profile: Record<string, unknown>;
}

/**
 * One consistent view of a selection for an export: the count, the profile keys, the case rows and
 * their users all come from one repeatable-read snapshot — opened on one connection, and joined by
 * others (share() / join()) that read beside it — so the file agrees with itself while the
 * projector keeps writing. Rows stream through server-side cursors.
 */
export class CaseSnapshot implements AsyncDisposable {
  /**
   * A cursor read on a terminated connection would wait forever, so every wait also listens for the
   * connection's death. (Not Promise.race against one long-lived promise: each race would leave a
   * reaction on it holding that read's rows, and memory would grow with the row count.)
   */
  private failure: Error | null = null;
  private readonly waiting = new Set<(err: Error) => void>();

  private constructor(
    private readonly client: ClientBase,
    private readonly schema: string,
    private readonly sel: CaseSelection,
    private readonly release: () => Promise<void>,
    private readonly ownsClient: boolean,
  ) {
    // `on`, not `once`: a dying connection can emit more than one error, and an 'error' event
    // without a listener is an uncaught exception that would take the whole process down.
    client.on('error', this.onError);
    client.on('end', this.onEnd);
  }

  private readonly fail = (err?: Error) => {
    this.failure ??= err ?? new Error('the database connection ended during the export');
    for (const reject of this.waiting) reject(this.failure);
    this.waiting.clear();
  };
  private readonly onError = (err: Error) => this.fail(err);
  private readonly onEnd = () => this.fail();

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

  static async open(db: Pick<ReadSource, 'createQueryRunner'>, schema: string, sel: CaseSelection): Promise<CaseSnapshot> {
    assertSchemaName(schema);
    const runner = db.createQueryRunner('slave');
    const client = (await runner.connect()) as PoolClient;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // Exports run a few long queries: compiling them costs more than it saves.
      await client.query('SET LOCAL jit = off');
    } catch (err) {
      await runner.release();
      throw err;
    }
    return new CaseSnapshot(client, schema, sel, () => runner.release(), false);
  }

  /**
   * The same snapshot on a connection of its own (another thread's), by the id from share():
   * it sees exactly the rows this snapshot sees.
   */
  static async join(url: string, snapshotId: string, schema: string, sel: CaseSelection): Promise<CaseSnapshot> {
    assertSchemaName(schema);
    const client = new Client({ connectionString: url, application_name: 'casestats' });
    // Until the snapshot listens for itself: a connection killed while joining rejects the query
    // under way; its 'error' event must not also go unhandled.
    const early = (err: Error) => void err;
    client.on('error', early);
    await client.connect().catch(async (err) => {
      await client.end().catch(() => undefined);
      throw err;
    });
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query('SET TRANSACTION SNAPSHOT ' + literal(snapshotId));
      await client.query('SET LOCAL jit = off');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    client.off('error', early);
    return new CaseSnapshot(client, schema, sel, () => client.end(), true);
  }

  /** An id by which join() can import this snapshot; valid while this snapshot is open. */
  async share(): Promise<string> {
    const [row] = await this.query<{ id: string }>('SELECT pg_export_snapshot() AS id', []);
    return row.id;
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
        WHERE ${where} AND ${CUSTOM_PROFILE_SQL('r')} <> '{}'::jsonb AND k.key NOT IN ('csat', 'csatComment') ORDER BY 1`,
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

  /**
   * How the selected cases spread over consecutive time slices of `sliceMs` from the selection's
   * start: the non-empty slices in order, with their row counts. Lets several readers take slices
   * side by side while each knows the sheet row its slice starts at. An index-only scan.
   */
  async slices(sliceMs: number): Promise<CaseSlice[]> {
    if (!(Number.isInteger(sliceMs) && sliceMs > 0)) throw new RangeError(`slice length must be a positive whole number of ms, got ${sliceMs}`);
    const { where, params } = selectionWhere(this.sel);
    const rows = await this.query<{ n: number; k: string }>(
      `SELECT floor(extract(epoch FROM r.case_created_at - $2::timestamptz) * 1000 / ${sliceMs})::bigint AS k, count(*)::int AS n
         FROM ${this.schema}.case_records r WHERE ${where} GROUP BY 1 ORDER BY 1`,
      params,
    );
    const start = this.sel.from.getTime();
    return rows.map((r) => {
      const from = Math.max(start, start + Number(r.k) * sliceMs);
      return { from: new Date(from), toExclusive: new Date(Math.min(start + (Number(r.k) + 1) * sliceMs, this.sel.toExclusive.getTime())), count: r.n };
    });
  }

  /** The selected cases in export order (within `within`, a slice, when given), as arrays of EXPORT_CASE_FIELDS. */
  async *exportRows(within?: { from: Date; toExclusive: Date }, batchSize = 2000): AsyncGenerator<ExportCaseRow[]> {
    const { where, params } = selectionWhere(this.sel);
    let range = '';
    if (within) {
      params.push(within.from.toISOString(), within.toExclusive.toISOString());
      range = ` AND r.case_created_at >= $${params.length - 1} AND r.case_created_at < $${params.length}`;
    }
    // Fixed-layout UTC text is what the fast timestamp parser reads; SET LOCAL ends with this transaction.
    await this.query(`SET LOCAL TimeZone = 'UTC'`, []);
    yield* this.stream<ExportCaseRow>(
      `SELECT ${EXPORT_CASE_SELECT} FROM ${this.schema}.case_records r WHERE ${where}${range} ORDER BY r.case_created_at, r.user_chat_case_id`,
      params,
      batchSize,
      { rowMode: 'array', types: EPOCH_MS_TYPES },
    );
  }

  /** The distinct customers of the selected cases, ordered by user id as people read it (u-1-2 before u-1-10). */
  users(batchSize = 5000): AsyncGenerator<UserRowForExport[]> {
    const { where, params } = selectionWhere(this.sel);
    return this.stream<UserRowForExport>(
      `SELECT u.user_id, coalesce(u.updated_name, u.chat_name) AS name, u.profile FROM ${this.schema}.users u
        WHERE u.channel_id = $1 AND u.user_id IN (${this.caseUsers(where)}) ORDER BY u.user_id COLLATE ${NATURAL_ORDER_COLLATION}`,
      params,
      batchSize,
    );
  }

  private caseUsers(where: string): string {
    return `SELECT DISTINCT r.user_id FROM ${this.schema}.case_records r WHERE ${where} AND r.user_id IS NOT NULL`;
  }

  private async *stream<T>(text: string, params: unknown[], batchSize: number, config?: Cursor.CursorQueryConfig): AsyncGenerator<T[]> {
    const cursor = this.client.query(new Cursor<T>(text, params, config));
    // One read ahead: PostgreSQL produces the next batch while the caller works on this one.
    let next: Promise<T[]> | null = this.guarded(cursor.read(batchSize));
    try {
      for (;;) {
        const rows: T[] = await next;
        next = null;
        if (!rows.length) return;
        next = this.guarded(cursor.read(batchSize));
        yield rows;
      }
    } finally {
      // An abandoned read ahead must not surface as an unhandled rejection.
      await next?.catch(() => undefined);
      await this.guarded(cursor.close()).catch(() => undefined);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    try {
      await this.guarded(this.client.query('COMMIT'));
      await this.release();
    } catch (err) {
      // The connection is gone (often the reason we are closing): nothing was written in this read-only
      // transaction, and the pool drops a client that died.
      void err;
      await this.release().catch(() => undefined);
    } finally {
      // A pooled client lives on: it must not keep this snapshot's listeners. A joined one keeps a
      // no-op listener, since its socket may still report an error after end().
      this.client.off('error', this.onError);
      this.client.off('end', this.onEnd);
      if (this.ownsClient) this.client.on('error', () => undefined);
    }
  }
}
