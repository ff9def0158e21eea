import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@casestats/config';
import { activeSchema, createDataSource, migrate } from '@casestats/read-model';
import { projectNdjsonFile } from '@casestats/source-file';
import { SCENARIOS_FILE, TestDatabase, createTestDatabase } from '@casestats/testing';
import { ExportServer, signMemberToken, startExportServer } from '@casestats/export-app';

const SECRET = 'hardening-secret-0123456789';
const BODY = { from: '2025-06-26', to: '2025-12-26', password: 'Secret42', reason: 'hardening test' };
const DOWNLOAD = 'caseStats:download';
const AUDIT = 'caseStats:audit';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const j = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

/** Issue 22 (items 2, 5, 6, 9, 12) and issue 21 item 6, probed over real HTTP against real PostgreSQL. */
describe('export API hardening', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let server: ExportServer;
  let limited: ExportServer;
  const logs: string[] = [];
  const log = (level: string, msg: string, fields: object = {}) => void logs.push(JSON.stringify({ level, msg, ...fields }));
  const now = () => Math.floor(Date.now() / 1000);
  const token = (memberId = 'm-1', channelId = 'ch-1', permissions = [DOWNLOAD]) =>
    signMemberToken({ memberId, name: memberId, channelId, permissions, expiresIn: '1h' }, SECRET, now());
  const send = async (path: string, init: { method?: string; body?: string | Buffer; token?: string | null; headers?: Record<string, string>; base?: string } = {}) => {
    const auth = init.token === undefined ? await token() : init.token;
    return fetch(`${init.base ?? server.url}${path}`, {
      method: init.method ?? 'GET',
      body: init.body,
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...init.headers },
    });
  };
  const post = (body: unknown, init: Parameters<typeof send>[1] = {}) =>
    send('/api/channels/ch-1/case-exports', { method: 'POST', body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), ...init });
  const rows = async () => (await ds.query(`SELECT (SELECT count(*) FROM export_audit)::int AS audit, (SELECT count(*) FROM export_jobs)::int AS jobs`))[0];
  const waitDone = async (id: string) => {
    for (let i = 0; i < 300; i++) {
      const [job] = await ds.query(`SELECT status FROM export_jobs WHERE id = $1`, [id]);
      if (job.status === 'succeeded' || job.status === 'failed') return job.status;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} never ended`);
  };

  beforeAll(async () => {
    db = await createTestDatabase('cs_harden');
    ds = createDataSource(db.url);
    await ds.initialize();
    await migrate(ds);
    await projectNdjsonFile(ds, await activeSchema(ds), SCENARIOS_FILE);
    const env = { DATABASE_URL: db.url, EXPORT_JWT_SECRET: SECRET, CASESTATS_DATA_DIR: mkdtempSync(join(tmpdir(), 'casestats-harden-')) };
    server = await startExportServer(loadConfig({ ...env, EXPORT_REQUEST_TIMEOUT_MS: '1500' }), ds, log, 0);
    limited = await startExportServer(loadConfig({ ...env, EXPORT_RATE_LIMIT_PER_ADDRESS: '40', EXPORT_RATE_LIMIT_PER_MEMBER: '3' }), ds, log, 0);
  });
  afterAll(async () => {
    await limited?.close();
    await server?.close();
    await ds?.destroy();
    await db?.drop();
  });

  describe('no write without a token (issue 22 item 2)', () => {
    const forgery = { ...BODY, reason: 'FORGED-REASON', filters: { teamIds: Array.from({ length: 400 }, (_, i) => `t-${i}-${'x'.repeat(180)}`) } };

    it.each([
      ['no token', async () => null],
      ['a bad signature', async () => signMemberToken({ memberId: 'm-1', channelId: 'ch-1', permissions: [DOWNLOAD], expiresIn: '1h' }, 'another-secret-0123456789', now())],
      ['an expired token', async () => signMemberToken({ memberId: 'm-1', channelId: 'ch-1', permissions: [DOWNLOAD], expiresIn: '1s' }, SECRET, now() - 60)],
    ])('a POST with %s writes no audit row and no job, and is logged as bounded metadata without the body', async (_name, make) => {
      const before = await rows();
      const logged = logs.length;
      const res = await post(forgery, { token: await make() });
      expect(res.status).toBe(401);
      expect(await rows()).toEqual(before);
      const lines = logs.slice(logged).join('\n');
      expect(lines).toContain('"msg":"request refused"');
      expect(lines).toContain('"code":"AUTH.UNAUTHENTICATED"');
      expect(lines).not.toContain('FORGED-REASON');
      expect(lines.length).toBeLessThan(1000);
    });

    it("a member of another channel cannot write into this channel's audit log", async () => {
      const before = await rows();
      expect((await post(forgery, { token: await token('m-1', 'ch-2') })).status).toBe(403);
      expect(await rows()).toEqual(before);
    });

    it("a refused request of the channel's own member is audited, its filters bounded", async () => {
      const res = await post({ ...forgery, from: '2025-01-01' }, { token: await token('m-1', 'ch-1') });
      expect(res.status).toBe(400);
      const [line] = await ds.query(`SELECT reason, filters, length(filters::text) AS size FROM export_audit WHERE reason = 'FORGED-REASON'`);
      expect(line.filters.teamIds).toHaveLength(50);
      expect(line.size).toBeLessThan(12_000);
    });
  });

  describe('rate limits (issue 22 item 2)', () => {
    it('refuses a member past their export requests a minute with 429 and Retry-After, writing nothing for it', async () => {
      const t = await token('m-rate');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await post({ ...BODY, from: '2025-01-01' }, { base: limited.url, token: t })).status);
      expect(statuses).toEqual([400, 400, 400]);
      const before = await rows();
      const res = await post(BODY, { base: limited.url, token: t });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await j(res)).toMatchObject({ code: 'INPUT.RATE_LIMITED' });
      expect(await rows()).toEqual(before);
      // Another member is not held by it.
      expect((await post({ ...BODY, from: '2025-01-01' }, { base: limited.url, token: await token('m-other') })).status).toBe(400);
    });

    it('refuses a client address past its requests a minute, before any token is read', async () => {
      let res: Response | undefined;
      for (let i = 0; i < 45 && res?.status !== 429; i++) res = await send('/api/channels/ch-1/case-exports', { base: limited.url, token: null });
      expect(res!.status).toBe(429);
      expect(await j(res!)).toMatchObject({ code: 'INPUT.RATE_LIMITED' });
    });
  });

  describe('client input is a 400 with a code, never a 500 (issue 22 items 5, 6, 9)', () => {
    it.each([
      ['NUL in the reason', { ...BODY, reason: 'a\u0000b' }, 'EXPORT.BAD_REASON'],
      ['NUL in the time zone', { ...BODY, timezone: 'Asia/Seoul\u0000' }, 'EXPORT.INVALID_REQUEST'],
      ['NUL in a tag', { ...BODY, filters: { tags: ['vip\u0000'] } }, 'EXPORT.INVALID_REQUEST'],
      // A lone surrogate: jsonb refused it (a 500, then the audit of the refusal failed too), or it was kept as U+FFFD.
      ['a lone surrogate in a tag', { ...BODY, filters: { tags: ['\ud800'] } }, 'EXPORT.INVALID_REQUEST'],
      ['a lone surrogate in the reason', { ...BODY, reason: '\ud800' }, 'EXPORT.BAD_REASON'],
      ['a lone surrogate in the time zone', { ...BODY, timezone: '\ud800' }, 'EXPORT.INVALID_REQUEST'],
      ['constructor under an unknown key', JSON.parse('{"from":"2025-06-26","to":"2025-12-26","password":"Secret42","reason":"x","teamIds":{"constructor":["x"]}}'), 'EXPORT.INVALID_REQUEST'],
      ['__proto__ in the filters', JSON.parse('{"from":"2025-06-26","to":"2025-12-26","password":"Secret42","reason":"x","filters":{"__proto__":{"teamIds":["zzz"]}}}'), 'EXPORT.INVALID_REQUEST'],
      ['a reason of invisible characters', { ...BODY, reason: '\u200b\u200b' }, 'EXPORT.BAD_REASON'],
      ['a year past 9999', { ...BODY, from: '9999-12-01', to: '10000-01-01' }, 'EXPORT.INVALID_REQUEST'],
    ])('%s', async (_name, body, code) => {
      const before = logs.length;
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(await j(res)).toMatchObject({ code });
      expect(logs.slice(before).join('\n')).not.toContain('unhandled');
    });

    it('a __proto__ filter is refused, naming it, and audited as refused', async () => {
      const res = await post('{"from":"2025-06-26","to":"2025-12-26","password":"Secret42","reason":"proto probe","filters":{"__proto__":{"teamIds":["zzz"]}}}');
      expect((await j(res)).problems.map((p: { field: string }) => p.field)).toEqual(['filters.__proto__']);
      const [line] = await ds.query(`SELECT outcome, error_code FROM export_audit WHERE reason = 'proto probe'`);
      expect(line).toEqual({ outcome: 'refused', error_code: 'EXPORT.INVALID_REQUEST' });
    });

    it('a NUL reason is audited as refused, the NUL made storable', async () => {
      await post({ ...BODY, reason: 'nul\u0000probe' });
      const [line] = await ds.query(`SELECT outcome, reason FROM export_audit WHERE reason LIKE 'nul%probe'`);
      expect(line).toEqual({ outcome: 'refused', reason: 'nul\ufffdprobe' });
    });

    it('a lone surrogate in a tag is refused naming its field, and the refusal is audited', async () => {
      const res = await post({ ...BODY, reason: 'surrogate probe', filters: { tags: ['ok', '\ud800'] } });
      expect(res.status).toBe(400);
      expect((await j(res)).problems.map((p: { field: string }) => p.field)).toEqual(['filters.tags']);
      const [line] = await ds.query(`SELECT outcome, error_code, filters FROM export_audit WHERE reason = 'surrogate probe'`);
      expect(line).toEqual({ outcome: 'refused', error_code: 'EXPORT.INVALID_REQUEST', filters: { tags: ['ok', '\ufffd'] } });
    });

    it('a lone surrogate in the channel id is a 400', async () => {
      const res = await send('/api/channels/%ED%A0%80/case-stats?from=2025-07-01&to=2025-07-31');
      expect(res.status).toBe(400);
    });

    it('a NUL in the channel id is a 400 before anything else', async () => {
      const res = await send('/api/channels/ch-1%00/case-exports', { method: 'POST', body: JSON.stringify(BODY) });
      expect(res.status).toBe(400);
      expect(await j(res)).toMatchObject({ code: 'INPUT.INVALID' });
    });

    it('JSON nested 2,000 deep is a 400', async () => {
      const deep = `{"from":"2025-06-26","to":"2025-12-26","password":"Secret42","reason":"x","filters":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`;
      const res = await post(deep);
      expect(res.status).toBe(400);
      expect(await j(res)).toMatchObject({ code: 'EXPORT.INVALID_REQUEST' });
    });

    it('a corrupt gzip body is a 400, a brotli or unknown encoding a 415', async () => {
      const gz = gzipSync(JSON.stringify(BODY));
      const corrupt = Buffer.concat([gz.subarray(0, 12), Buffer.from('not gzip at all')]);
      const bad = await post(corrupt, { headers: { 'content-encoding': 'gzip' } });
      expect(bad.status).toBe(400);
      expect(await j(bad)).toMatchObject({ code: 'INPUT.INVALID' });
      for (const encoding of ['br', 'zstd', 'compress']) {
        const res = await post(Buffer.from('garbage'), { headers: { 'content-encoding': encoding } });
        expect(res.status, encoding).toBe(415);
        expect(await j(res)).toMatchObject({ code: 'INPUT.UNSUPPORTED_MEDIA_TYPE' });
      }
      // A whole gzip body is still read.
      const ok = await post(gz, { headers: { 'content-encoding': 'gzip' } });
      expect(ok.status).toBe(202);
      await waitDone((await j(ok)).id);
    });
  });

  describe('headers, bodies and tokens (issue 22 item 12)', () => {
    it('sends a CSP, frame denial and nosniff with the page, the API and its errors', async () => {
      for (const res of [await fetch(`${server.url}/`), await fetch(`${server.url}/api/export-rules`), await send('/api/channels/ch-1/case-exports', { token: null })]) {
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("style-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).not.toContain('unsafe-inline');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      }
    });

    it.each([
      ['form-encoded', 'application/x-www-form-urlencoded', 'from=2025-06-26&to=2025-12-26&password=Secret42&reason=x'],
      ['plain text', 'text/plain', JSON.stringify(BODY)],
      ['multipart', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="from"\r\n\r\n2025-06-26\r\n--x--'],
    ])('refuses a %s body with 415', async (_name, type, body) => {
      const before = await rows();
      const res = await post(body, { headers: { 'content-type': type } });
      expect(res.status).toBe(415);
      expect(await j(res)).toMatchObject({ code: 'INPUT.UNSUPPORTED_MEDIA_TYPE' });
      expect(await rows()).toEqual(before);
    });

    const signed = (iat: number, exp: number) =>
      new SignJWT({ channelId: 'ch-1', permissions: [DOWNLOAD] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('m-1')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(SECRET));

    it.each([
      ['issued a day in the future', () => signed(now() + 86_400, now() + 2 * 86_400)],
      ['living ten years', () => signed(now() - 60, now() + 10 * 365 * 86_400)],
      ['living 31 days', () => signed(now() - 60, now() + 31 * 86_400)],
      ['without iat', () => new SignJWT({ channelId: 'ch-1', permissions: [DOWNLOAD] }).setProtectedHeader({ alg: 'HS256' }).setSubject('m-1').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET))],
    ])('refuses a token %s', async (_name, make) => {
      const res = await send('/api/channels/ch-1/case-exports', { token: await make() });
      expect(res.status).toBe(401);
    });

    it('accepts a token of 30 days, and signs none longer', async () => {
      expect((await send('/api/channels/ch-1/case-exports', { token: await signed(now(), now() + 30 * 86_400) })).status).toBe(200);
      await expect(signMemberToken({ memberId: 'm-1', channelId: 'ch-1', permissions: [DOWNLOAD], expiresIn: '31d' }, SECRET, now())).rejects.toThrow(/30 days at most/);
    });

    it('closes a stalled request body within the request timeout', async () => {
      const { port } = new URL(server.url);
      const started = Date.now();
      const closed = await new Promise<number>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(`POST /api/channels/ch-1/case-exports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"from":`);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Date.now() - started));
        setTimeout(() => reject(new Error('the stalled request was still open after 15 s')), 15_000);
      });
      expect(closed).toBeLessThan(6000);
    }, 20_000);
  });

  describe("a member's own exports; the audit log's own permission (issue 21 item 6)", () => {
    it("lists and downloads only the member's own exports: another member's id is a 404", async () => {
      const mine = await post({ ...BODY, reason: 'mine' }, { token: await token('m-own') });
      const { id } = await j(mine);
      expect(await waitDone(id)).toBe('succeeded');
      const other = await token('m-nosy');
      expect((await send(`/api/channels/ch-1/case-exports/${id}`, { token: other })).status).toBe(404);
      expect((await send(`/api/channels/ch-1/case-exports/${id}/file`, { token: other })).status).toBe(404);
      expect((await j(send('/api/channels/ch-1/case-exports', { token: other }))).exports).toEqual([]);
      const own = await token('m-own');
      expect((await j(send('/api/channels/ch-1/case-exports', { token: own }))).exports.map((e: { id: string }) => e.id)).toEqual([id]);
      expect((await send(`/api/channels/ch-1/case-exports/${id}/file`, { token: own })).status).toBe(200);
    });

    it('the export audit log needs caseStats:audit, and the download permission is not it', async () => {
      expect((await send('/api/channels/ch-1/export-audit', { token: await token('m-1', 'ch-1', [DOWNLOAD]) })).status).toBe(403);
      const res = await send('/api/channels/ch-1/export-audit', { token: await token('m-auditor', 'ch-1', [AUDIT]) });
      expect(res.status).toBe(200);
      expect((await j(res)).entries.length).toBeGreaterThan(0);
      expect((await send('/api/channels/ch-1/export-audit', { token: await token('m-auditor', 'ch-2', [AUDIT]) })).status).toBe(403);
      // The auditor alone cannot request an export.
      expect((await post(BODY, { token: await token('m-auditor', 'ch-1', [AUDIT]) })).status).toBe(403);
    });
  });
});
