import { describe, expect, it, vi } from 'vitest';
import { AppError } from './app-error';
import { loadConfig, requireJwtSecret } from './config';
import { jsonLog } from './json-log';

describe('loadConfig', () => {
  it('runs two apply threads unless told otherwise', () => {
    expect(loadConfig({}).projector.applyThreads).toBe(2);
    expect(loadConfig({ PROJECTOR_APPLY_THREADS: '4' }).projector.applyThreads).toBe(4);
  });

  it('keeps one export worker from any one channel unless told otherwise', () => {
    expect(loadConfig({}).export.maxRunningPerChannel).toBe(1);
    expect(loadConfig({ EXPORT_WORKERS: '4' }).export.maxRunningPerChannel).toBe(3);
    expect(loadConfig({ EXPORT_WORKERS: '4', EXPORT_MAX_RUNNING_PER_CHANNEL: '4' }).export.maxRunningPerChannel).toBe(4);
  });

  it('refuses an apply thread count it cannot use, naming the variable and the range', () => {
    for (const bad of ['0', '17', '1.5', 'two']) {
      const err = (() => {
        try {
          loadConfig({ PROJECTOR_APPLY_THREADS: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).message).toBe(`invalid configuration: PROJECTOR_APPLY_THREADS must be an integer from 1 to 16, got ${JSON.stringify(bad)}`);
    }
  });

  it('has no token secret of its own: unset, each load draws a random one that serve and token refuse', () => {
    const [a, b] = [loadConfig({}), loadConfig({})];
    expect(a.export.jwtSecretSet).toBe(false);
    expect(a.export.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(a.export.jwtSecret).not.toBe(b.export.jwtSecret);
    expect(() => requireJwtSecret(a, 'the export server')).toThrow(/^EXPORT_JWT_SECRET is not set: the export server needs the secret/);
    const set = loadConfig({ EXPORT_JWT_SECRET: 'a-long-enough-test-secret' });
    expect(set.export).toMatchObject({ jwtSecret: 'a-long-enough-test-secret', jwtSecretSet: true });
    expect(() => requireJwtSecret(set, 'the export server')).not.toThrow();
  });

  it('logs JSON lines from LOG_LEVEL up', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const log = jsonLog('projector', loadConfig({ LOG_LEVEL: 'warn' }).logLevel);
      log('info', 'not shown');
      log('warn', 'shown', { partition: 2 });
      log('error', 'shown too');
      const lines = write.mock.calls.map(([line]) => JSON.parse(String(line)));
      expect(lines.map(({ level, app, msg, partition }) => ({ level, app, msg, partition }))).toEqual([
        { level: 'warn', app: 'projector', msg: 'shown', partition: 2 },
        { level: 'error', app: 'projector', msg: 'shown too', partition: undefined },
      ]);
    } finally {
      write.mockRestore();
    }
    expect(loadConfig({}).logLevel).toBe('info');
  });
});
