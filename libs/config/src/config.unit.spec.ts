import { describe, expect, it } from 'vitest';
import { AppError } from './app-error';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('runs two apply threads unless told otherwise', () => {
    expect(loadConfig({}).projector.applyThreads).toBe(2);
    expect(loadConfig({ PROJECTOR_APPLY_THREADS: '4' }).projector.applyThreads).toBe(4);
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
});
