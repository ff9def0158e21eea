import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASESTATS_BIN, REPO_ROOT, SCENARIOS_FILE, TestDatabase, createTestDatabase, readEncryptedXlsx, runCasestats, sheetObjects } from '@casestats/testing';

const PASSWORD = 'Secret42';

describe('casestats export: the password without argv, the language, and the audit log', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  const base = (out: string) => ['export', '--channel', 'ch-1', '--from', '2025-06-26', '--to', '2025-12-26', '--reason', 'cli audit', '--out', join(dir, out)];
  const caseIds = async (file: string) => sheetObjects(await readEncryptedXlsx(join(dir, file), PASSWORD), 'Case data').length;

  beforeAll(async () => {
    db = await createTestDatabase('cs_cli_pw');
    env = { DATABASE_URL: db.url };
    dir = mkdtempSync(join(tmpdir(), 'casestats-cli-pw-'));
    const projected = await runCasestats(['project', '--events', SCENARIOS_FILE], env);
    expect(projected.code, projected.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('reads --password-file and CASESTATS_EXPORT_PASSWORD', async () => {
    const file = join(dir, 'password.txt');
    writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const fromFile = await runCasestats([...base('file.xlsx'), '--password-file', file], env);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(await caseIds('file.xlsx')).toBe(7);

    const fromEnv = await runCasestats(base('env.xlsx'), { ...env, CASESTATS_EXPORT_PASSWORD: PASSWORD });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(await caseIds('env.xlsx')).toBe(7);

    const missing = await runCasestats([...base('none.xlsx'), '--password-file', join(dir, 'nope.txt')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--password-file: cannot read .*nope\.txt \(ENOENT\)/);
  }, 180_000);

  it('asks on a terminal without echoing the password', async () => {
    // script(1) gives the command a terminal; the password is typed once the prompt shows.
    const command = [process.execPath, CASESTATS_BIN, ...base('tty.xlsx')].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = false;
    child.stdout.on('data', (d) => {
      output += d;
      if (!typed && output.includes('password for the file')) {
        typed = true;
        child.stdin.write(`${PASSWORD}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    expect(output).toMatch(/wrote .*tty\.xlsx: 7 case rows/);
    expect(output).not.toContain(PASSWORD);
    expect(await caseIds('tty.xlsx')).toBe(7);
  }, 180_000);

  it('writes Export info and the field guide in the --language asked for, Korean by default', async () => {
    const en = await runCasestats([...base('en.xlsx'), '--password', PASSWORD, '--language', 'en'], env);
    expect(en.code, en.stderr).toBe(0);
    const english = await readEncryptedXlsx(join(dir, 'en.xlsx'), PASSWORD);
    expect(english.order).toEqual(['Case data', 'User data', 'Export info', 'Field guide']);
    expect(english.sheets['Export info'][0].map((c) => c?.v)).toEqual(['field', 'value']);
    const ko = await runCasestats([...base('ko.xlsx'), '--password', PASSWORD], env);
    expect(ko.code, ko.stderr).toBe(0);
    expect((await readEncryptedXlsx(join(dir, 'ko.xlsx'), PASSWORD)).order).toContain('필드 설명');
    const fr = await runCasestats([...base('fr.xlsx'), '--password', PASSWORD, '--language', 'fr'], env);
    expect(fr.code).toBe(2);
    expect(fr.stderr).toMatch(/--language.*'fr' is invalid\. Allowed choices are ko, en/);
  }, 180_000);

  it('writes each CLI export in the channel audit log like an API export: who is cli and the OS user', async () => {
    const ok = await runCasestats([...base('audited.xlsx'), '--password', PASSWORD, '--team', 't-1'], env);
    expect(ok.code, ok.stderr).toBe(0);
    const sha = /sha256 ([0-9a-f]{64})/.exec(ok.stdout)![1];
    const capped = await runCasestats([...base('capped.xlsx'), '--password', PASSWORD], { ...env, EXPORT_MAX_ROWS: '3' });
    expect(capped.code).toBe(2);

    const c = new Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query(
      `SELECT member_id, member_name, channel_id, from_date, to_date, reason, filters, outcome, error_code, row_count, bytes, sha256
         FROM export_audit WHERE member_id = 'cli' ORDER BY id`,
    );
    await c.end();
    const user = userInfo().username;
    expect(rows.find((r) => r.sha256 === sha)).toMatchObject({
      member_name: user,
      channel_id: 'ch-1',
      from_date: '2025-06-26',
      to_date: '2025-12-26',
      reason: 'cli audit',
      filters: { teamIds: ['t-1'] },
      outcome: 'succeeded',
      row_count: 1,
    });
    expect(rows.at(-1)).toMatchObject({ member_name: user, outcome: 'refused', error_code: 'EXPORT.TOO_MANY_ROWS', row_count: 7 });
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  }, 180_000);

  it('audits refused CLI requests like refused API requests (still exit 2), but not a channel id that names no channel', async () => {
    const args = (from: string, to: string, reason?: string, channel = 'ch-1') => [
      'export', '--channel', channel, '--from', from, '--to', to, ...(reason === undefined ? [] : ['--reason', reason]), '--password', PASSWORD, '--out', join(dir, 'refused.xlsx'),
    ];
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const before = Number((await c.query(`SELECT coalesce(max(id), 0) AS id FROM export_audit`)).rows[0].id);
    const tooLong = await runCasestats(args('2025-06-26', '2025-12-27', 'refusal audit'), env);
    expect(tooLong.stderr).toMatch(/six months at most/);
    expect(tooLong.code).toBe(2);
    const noReason = await runCasestats(args('2025-07-01', '2025-07-31'), env);
    expect(noReason.stderr).toMatch(/reason is required/);
    expect(noReason.code).toBe(2);
    const badChannel = await runCasestats(args('2025-07-01', '2025-07-31', 'bad channel', 'ch\u0001x'), env);
    expect(badChannel.stderr).toMatch(/--channel: the channel id must be/);
    expect(badChannel.code).toBe(2);

    const { rows } = await c.query(
      `SELECT member_id, member_name, channel_id, from_date, to_date, reason, outcome, http_status, error_code
         FROM export_audit WHERE id > $1 ORDER BY id`,
      [before],
    );
    await c.end();
    const user = userInfo().username;
    expect(rows).toEqual([
      { member_id: 'cli', member_name: user, channel_id: 'ch-1', from_date: '2025-06-26', to_date: '2025-12-27', reason: 'refusal audit', outcome: 'refused', http_status: 400, error_code: 'EXPORT.RANGE_TOO_LONG' },
      { member_id: 'cli', member_name: user, channel_id: 'ch-1', from_date: '2025-07-01', to_date: '2025-07-31', reason: null, outcome: 'refused', http_status: 400, error_code: 'EXPORT.BAD_REASON' },
    ]);
    expect(readdirSync(dir)).not.toContain('refused.xlsx');
  }, 180_000);

  it('warns on stderr when the range holds no case, and still writes the (empty) file: exit 0', async () => {
    const future = await runCasestats(['export', '--channel', 'ch-1', '--from', '2030-01-01', '--to', '2030-01-31', '--reason', 'empty', '--password', PASSWORD, '--out', join(dir, 'future.xlsx')], env);
    expect(future.code, future.stderr).toBe(0);
    expect(future.stderr).toMatch(/warning: the range 2030-01-01 to 2030-01-31 holds no case of channel ch-1; the file has its headers only/);
    expect(future.stdout).toMatch(/wrote .*future\.xlsx: 0 case rows/);
    expect(await caseIds('future.xlsx')).toBe(0);

    const filtered = await runCasestats([...base('nobody.xlsx'), '--password', PASSWORD, '--team', 'no-such-team'], env);
    expect(filtered.code, filtered.stderr).toBe(0);
    expect(filtered.stderr).toMatch(/holds no case of channel ch-1 with these filters/);

    const some = await runCasestats([...base('some.xlsx'), '--password', PASSWORD], env);
    expect(some.code, some.stderr).toBe(0);
    expect(some.stderr).not.toMatch(/warning/);
  }, 180_000);
});
