import { describe, expect, it } from 'vitest';
import { BIN_COUNT, binOf, binValue } from './case-stats.table';

describe('log-histogram bins of a duration', () => {
  it('stand for every value within 0.75% (exactly below 128 s), in order', () => {
    let last = -1;
    for (const v of [...Array.from({ length: 200_000 }, (_, k) => k), 1_000_003, 15_778_800, 2 ** 31 - 1]) {
      const b = binOf(v);
      expect(b).toBeGreaterThanOrEqual(last);
      expect(b).toBeLessThan(BIN_COUNT);
      last = b;
      if (v < 128) expect(binValue(b)).toBe(v);
      else expect(Math.abs(binValue(b) - v)).toBeLessThanOrEqual(v * 0.0075);
    }
  });
});
