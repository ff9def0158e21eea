import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@casestats/config';
import { activeSchema, createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { SCENARIOS_FILE, TestDatabase, createTestDatabase, exportInfoOf, readEncryptedXlsx, sheetObjects } from '@casestats/testing';
import { ExportServer, startExportServer } from '@casestats/export-app';
import { signMemberToken } from '@casestats/export-app';
import type { DataSource } from 'typeorm';

const SECRET = 'test-secret-0123456789abcdef';
const BODY = { from: '2025-06-26', to: '2025-12-26', password: 'Secret42', reason: 'API test', timezone: 'Asia/Seoul' };
// What the server logs: nothing in it may be unhandled, nor carry a password.
const logs: string[] = [];
const quiet = (level: string, msg: string, fields: object = {}) => void logs.push(JSON.stringify({ level, msg, ...fields }));
// Response bodies are whatever the API says; the assertions check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const j = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

describe('export API (real PostgreSQL, real HTTP)', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
  let dir: string;
  const now = () => Math.floor(Date.now() / 1000);
  const token = (channelId = 'ch-1', permissions = ['caseStats:download'], expiresIn = '1h') =>
    signMemberToken({ memberId: 'm-1', name: '김팀장', channelId, permissions, expiresIn }, SECRET, now());
  const call = async (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const auth = init.token === undefined ? await token() : init.token;
    const res = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
    return res;
  };
  const create = (body: object = BODY, init: { token?: string | null; headers?: Record<string, string> } = {}) =>
    call('/api/channels/ch-1/case-exports', { method: 'POST', body: JSON.stringify(body), ...init });
  const waitFor = async (id: string, statuses = ['succeeded', 'failed'], channel = 'ch-1') => {
    for (let i = 0; i < 300; i++) {
      const job = await j(call(`/api/channels/${channel}/case-exports/${id}`, { token: await token(channel) }));
      if (statuses.includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} never reached ${statuses}`);
  };

  beforeAll(async () => {
    db = await createTestDatabase('cs_api');
    dir = mkdtempSync(join(tmpdir(), 'casestats-api-'));
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, await activeSchema(ds), SCENARIOS_FILE);
    const config = loadConfig({
      DATABASE_URL: db.url,
      EXPORT_JWT_SECRET: SECRET,
      CASESTATS_DATA_DIR: dir,
      EXPORT_MAX_ROWS: '7',
      EXPORT_FILE_TTL_SECONDS: '3',
      EXPORT_MAINTENANCE_INTERVAL_MS: '200',
      EXPORT_WORKERS: '2',
    });
    server = await startExportServer(config, ds, quiet, 0);
  });
  afterAll(async () => {
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  describe('authentication and authorization', () => {
    const forged = async (alg: string, secret = SECRET, claims: object = {}) => {
      const key = new TextEncoder().encode(secret.padEnd(64, 'x'));
      return new SignJWT({ channelId: 'ch-1', permissions: ['caseStats:download'], ...claims })
        .setProtectedHeader({ alg })
        .setSubject('m-1')
        .setExpirationTime('1h')
        .sign(key);
    };
    const unsigned = () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'm-1', channelId: 'ch-1', permissions: ['caseStats:download'], exp: now() + 3600 })}.`;
    };
    const endpoints = ['/api/channels/ch-1/case-exports', '/api/channels/ch-1/case-exports/00000000-0000-0000-0000-000000000000', '/api/channels/ch-1/case-exports/00000000-0000-0000-0000-000000000000/file', '/api/channels/ch-1/export-audit'];

    it.each([
      ['no token', async () => null],
      ['a malformed token', async () => 'not-a-jwt'],
      ['a bad signature', async () => signMemberToken({ memberId: 'm', channelId: 'ch-1', permissions: ['caseStats:download'], expiresIn: '1h' }, 'another-secret-0123456789', now())],
      ['an expired token', async () => signMemberToken({ memberId: 'm', channelId: 'ch-1', permissions: ['caseStats:download'], expiresIn: '1s' }, SECRET, now() - 60)],
      ['alg none', async () => unsigned()],
      ['HS512', async () => forged('HS512')],
      ['no channelId claim', async () => forged('HS256', SECRET.padEnd(64, 'x').slice(0, SECRET.length), { channelId: undefined })],
    ])('401 for %s on every endpoint', async (_name, make) => {
      const t = await make();
      for (const path of endpoints) expect((await call(path, { token: t })).status, path).toBe(401);
      expect((await create(BODY, { token: t })).status).toBe(401);
    });

    it('403 without the download permission or for another channel', async () => {
      const noPermission = await token('ch-1', ['caseStats:view']);
      const otherChannel = await token('ch-2');
      for (const t of [noPermission, otherChannel]) {
        for (const path of endpoints) expect((await call(path, { token: t })).status, path).toBe(403);
        expect((await create(BODY, { token: t })).status).toBe(403);
      }
    });
  });

  describe('refusals, before any work', () => {
    it.each([
      [{ from: '2025-06-25' }, 'from', 'EXPORT.TOO_EARLY'],
      [{ from: '2025-07-10', to: '2025-07-09' }, 'to', 'EXPORT.RANGE_REVERSED'],
      [{ from: '2025-08-31', to: '2026-03-01' }, 'to', 'EXPORT.RANGE_TOO_LONG'],
      [{ from: '2025/07/01' }, 'from', 'EXPORT.INVALID_REQUEST'],
      [{ timezone: 'Mars/Olympus' }, 'timezone', 'EXPORT.INVALID_REQUEST'],
      [{ password: 'abc' }, 'password', 'EXPORT.BAD_PASSWORD'],
      [{ password: 'has space 1' }, 'password', 'EXPORT.BAD_PASSWORD'],
      [{ password: undefined }, 'password', 'EXPORT.BAD_PASSWORD'],
      [{ reason: '  ' }, 'reason', 'EXPORT.BAD_REASON'],
      [{ reason: 'x'.repeat(501) }, 'reason', 'EXPORT.BAD_REASON'],
      [{ filters: { directions: ['UP'] } }, 'filters.directions', 'EXPORT.INVALID_REQUEST'],
    ])('400 for %j, naming %s', async (override, field, code) => {
      const res = await create({ ...BODY, ...override });
      expect(res.status).toBe(400);
      const body = await j(res);
      expect(body.problems.map((p: { field: string }) => p.field)).toContain(field);
      expect(body.problems.find((p: { field: string }) => p.field === field).code).toBe(code);
      expect(JSON.stringify(body)).not.toContain('has space 1');
    });

    it('accepts the month-end clamp 2025-08-31 → 2026-02-28', async () => {
      const res = await create({ ...BODY, from: '2025-08-31', to: '2026-02-28' });
      expect(res.status).toBe(202);
      expect((await j(res)).totalRows).toBe(0);
    });

    it('refuses more cases than the cap with the count', async () => {
      await ds.query(`UPDATE proj_1.case_records SET channel_id = channel_id`);
      const res = await call('/api/channels/ch-1/case-exports', { method: 'POST', body: JSON.stringify(BODY) });
      expect(res.status).toBe(202); // 7 cases, the cap is 7
      writeFileSync(join(dir, 'extra.ndjson'), JSON.stringify({ id: 'x-1', type: 'userChat.opened', version: 2, occurredAt: '2025-09-01T00:00:00Z', channelId: 'ch-1', userChatId: 'uc-extra', data: { assignment: 'auto' } }));
      await projectNdjsonFile(ds, 'proj_1', join(dir, 'extra.ndjson'));
      const over = await create();
      expect(over.status).toBe(400);
      expect(await j(over)).toMatchObject({ code: 'EXPORT.TOO_MANY_ROWS', count: 8 });
      await ds.query(`DELETE FROM proj_1.case_records WHERE user_chat_id = 'uc-extra'`);
    });
  });

  it('runs a job to an encrypted file that an independent tool reads back, and audits it', async () => {
    const res = await create();
    expect(res.status).toBe(202);
    const { id, status, totalRows } = await j(res);
    expect(status).toBe('queued');
    expect(totalRows).toBe(7);
    const job = await waitFor(id);
    // The name carries the job's creation time in the export's zone (Seoul, UTC+9 all year), to the
    // second: two exports of one range are two files, for a page's download and curl's alike.
    const stamp = new Date(new Date(job.createdAt).getTime() + 9 * 3600_000).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    const name = `case-stats_ch-1_2025-06-26_2025-12-26_${stamp}.xlsx`;
    expect(job).toMatchObject({ status: 'succeeded', rowsWritten: 7, totalRows: 7, fileName: name });
    expect(JSON.stringify(job)).not.toContain('Secret42');

    const file = await call(`/api/channels/ch-1/case-exports/${id}/file`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('spreadsheetml');
    expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${name}"; filename*=UTF-8''${name}`);
    const path = join(dir, `${id}.download.xlsx`);
    writeFileSync(path, Buffer.from(await file.arrayBuffer()));
    const book = await readEncryptedXlsx(path, 'Secret42');
    expect(sheetObjects(book, 'Case data').map((r) => r.userChatCaseId)).toEqual([
      'uc-basic-1', 'uc-reopen-1', 'uc-reopen-2', 'uc-phone-1', 'uc-phone-2', 'uc-phone-3', 'uc-v1-1',
    ]);
    const info = exportInfoOf(book);
    expect(info.exportedBy).toBe('김팀장 (m-1)');

    // The audit log has a permission of its own (issue 21 item 6).
    const audit = await j(call('/api/channels/ch-1/export-audit', { token: await token('ch-1', ['caseStats:download', 'caseStats:audit']) }));
    const line = audit.entries.find((e: { jobId: string }) => e.jobId === id);
    expect(line).toMatchObject({ memberId: 'm-1', outcome: 'succeeded', rowCount: 7, bytes: job.bytes, sha256: job.sha256, reason: 'API test', fromDate: '2025-06-26' });
    expect(audit.entries.some((e: { outcome: string; errorCode: string }) => e.outcome === 'refused' && e.errorCode === 'EXPORT.TOO_EARLY')).toBe(true);
    expect(audit.entries.some((e: { outcome: string }) => e.outcome === 'forbidden')).toBe(true);
    expect(JSON.stringify(audit)).not.toContain('Secret42');
  });

  describe("the file's own words follow Accept-Language (issue 21 item 12)", () => {
    /** A POST with no Accept-Language at all: fetch would send `*` for one. */
    const createBare = async () => {
      const auth = await token();
      const body = JSON.stringify(BODY);
      return new Promise<{ status: number; id: string }>((resolve, reject) => {
        const req = httpRequest(`${server.url}/api/channels/ch-1/case-exports`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${auth}` },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, id: JSON.parse(text).id }));
        });
        req.on('error', reject);
        req.end(body);
      });
    };
    const book = async (id: string) => {
      expect((await waitFor(id)).status).toBe('succeeded');
      const file = await call(`/api/channels/ch-1/case-exports/${id}/file`);
      const path = join(dir, `${id}.download.xlsx`);
      writeFileSync(path, Buffer.from(await file.arrayBuffer()));
      return readEncryptedXlsx(path, 'Secret42');
    };
    const labels = (b: Awaited<ReturnType<typeof book>>) => sheetObjects(b, 'Export info').map((r) => Object.values(r)[0]);

    it('writes English for en-US,en;q=0.9, Korean without the header or for a language it does not have', async () => {
      const en = await create(BODY, { headers: { 'accept-language': 'en-US,en;q=0.9' } });
      const bare = await createBare();
      const fr = await create(BODY, { headers: { 'accept-language': 'fr-FR,fr;q=0.9' } });
      expect([en.status, bare.status, fr.status]).toEqual([202, 202, 202]);
      const [english, korean, french] = await Promise.all([book((await j(en)).id), book(bare.id), book((await j(fr)).id)]);

      expect(Object.keys(english.sheets)).toEqual(['Case data', 'User data', 'Export info', 'Field guide']);
      expect(labels(english)).toEqual(['channel', 'from', 'to', 'timezone', 'filters', 'reason', 'exportedBy', 'exportedAt', 'asOf', 'textLimit', 'caseRows', 'userRows']);
      expect(exportInfoOf(english)).toMatchObject({ reason: 'API test', exportedBy: '김팀장 (m-1)', caseRows: 7 });

      for (const b of [korean, french]) {
        expect(Object.keys(b.sheets)).toEqual(['Case data', 'User data', 'Export info', '필드 설명']);
        expect(labels(b)).toContain('다운로드 사유');
        expect(labels(b)).not.toContain('reason');
        expect(exportInfoOf(b)).toMatchObject({ reason: 'API test', caseRows: 7 });
      }
      // The data and its keys are the same in either language.
      const ids = (b: typeof english) => sheetObjects(b, 'Case data').map((r) => r.userChatCaseId);
      expect(ids(english)).toEqual(ids(korean));
      expect(ids(english)).toHaveLength(7);
    });
  });

  it('never shows another channel a job, whatever id is guessed', async () => {
    const { id } = await j(create());
    await waitFor(id);
    const ch2 = await token('ch-2');
    expect((await call(`/api/channels/ch-2/case-exports/${id}`, { token: ch2 })).status).toBe(404);
    expect((await call(`/api/channels/ch-2/case-exports/${id}/file`, { token: ch2 })).status).toBe(404);
    const list = await j(call('/api/channels/ch-2/case-exports', { token: ch2 }));
    expect(list.exports).toEqual([]);
  });

  it('runs two jobs at once', async () => {
    const ids = await Promise.all([create(), create({ ...BODY, timezone: 'UTC' })].map(async (r) => (await j(r)).id));
    const jobs = await Promise.all(ids.map((id) => waitFor(id)));
    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
    expect(new Set(jobs.map((j) => j.sha256)).size).toBe(2);
  });

  it('deletes the file after its time to live and says expired (410)', async () => {
    const { id } = await j(create());
    await waitFor(id);
    expect(readdirSync(join(dir, 'exports'))).toContain(`${id}.xlsx`);
    const expired = await waitFor(id, ['expired']);
    expect(expired.downloadUrl).toBeNull();
    expect((await call(`/api/channels/ch-1/case-exports/${id}/file`)).status).toBe(410);
    expect(readdirSync(join(dir, 'exports'))).not.toContain(`${id}.xlsx`);
  });

  describe('bodies that do not parse, and ids that are not ids', () => {
    const raw = (body: string, auth: string | null) =>
      fetch(`${server.url}/api/channels/ch-1/case-exports`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      });

    it.each([
      ['without a token', async () => null],
      ['with a token', async () => token()],
    ])('a malformed JSON body gets a fixed 400, never the parser\'s words (which quote the body) %s', async (_name, make) => {
      const res = await raw('{"from":"2025-06-26","password":Secret42,"reason":"x"}', await make());
      expect(res.status).toBe(400);
      const body = await j(res);
      expect(body).toEqual({ code: 'INPUT.INVALID', message: 'the request body is not valid JSON', problems: [] });
      expect(logs.join('\n')).not.toContain('Secret42');
    });

    it('a body over the size limit is refused with a clear message, not an unhandled 500', async () => {
      const before = logs.length;
      const res = await raw(JSON.stringify({ ...BODY, reason: 'x'.repeat(200_000) }), await token());
      expect(res.status).toBe(413);
      expect(await j(res)).toEqual({ code: 'INPUT.TOO_LARGE', message: 'the request body is larger than the limit of 100kb', problems: [] });
      expect(logs.slice(before).join('\n')).not.toContain('unhandled');
    });

    it.each(['-'.repeat(36), 'a'.repeat(36), '0000000000000000000000000000000000-0', '00000000-0000-0000-0000-00000000000g'])('an id that is no UUID (%s) gets 404 like an unknown one', async (id) => {
      const before = logs.length;
      for (const path of [`/api/channels/ch-1/case-exports/${id}`, `/api/channels/ch-1/case-exports/${id}/file`]) {
        const res = await call(path);
        expect(res.status, path).toBe(404);
        expect((await j(res)).code).toBe('EXPORT.NOT_FOUND');
      }
      expect(logs.slice(before).join('\n')).not.toContain('unhandled');
    });
  });

  it('records the accepted audit line before its job can run, so that a job ending first still leaves its outcome there', async () => {
    // The accepted line's insert is made slow: a job that could run meanwhile ends before the line exists.
    await ds.query(`CREATE FUNCTION slow_accepted_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.outcome = 'accepted' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$`);
    await ds.query(`CREATE TRIGGER slow_accepted_audit BEFORE INSERT ON export_audit FOR EACH ROW EXECUTE FUNCTION slow_accepted_audit()`);
    try {
      const { id } = await j(create());
      expect((await waitFor(id)).status).toBe('succeeded');
      const [line] = await ds.query(`SELECT outcome, row_count, bytes, sha256 FROM export_audit WHERE job_id = $1`, [id]);
      expect(line).toMatchObject({ outcome: 'succeeded', row_count: 7 });
      expect(line.sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await ds.query(`DROP TRIGGER slow_accepted_audit ON export_audit`);
      await ds.query(`DROP FUNCTION slow_accepted_audit()`);
    }
  });

  it('serves its OpenAPI description and the page', async () => {
    const doc = await j(fetch(`${server.url}/api/openapi.json`));
    expect(Object.keys(doc.paths)).toContain('/api/channels/{channelId}/case-exports/{id}/file');
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain('<h1 data-i18n="title">케이스별 상담 통계</h1>');
  });
});
