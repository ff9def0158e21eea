import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
});
