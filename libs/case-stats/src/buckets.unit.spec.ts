import { describe, expect, it } from 'vitest';
import { bucketStart, bucketStarts } from './buckets';

describe('series buckets', () => {
  it('days: every day of the range', () => {
    expect(bucketStarts('2025-07-30', '2025-08-02', 'day')).toEqual(['2025-07-30', '2025-07-31', '2025-08-01', '2025-08-02']);
  });
  it('weeks start on Monday, the first possibly before from', () => {
    // 2025-07-02 is a Wednesday; 2025-06-30 the Monday before it.
    expect(bucketStart('2025-07-02', 'week')).toBe('2025-06-30');
    expect(bucketStart('2025-07-06', 'week')).toBe('2025-06-30');
    expect(bucketStart('2025-07-07', 'week')).toBe('2025-07-07');
    expect(bucketStarts('2025-07-02', '2025-07-14', 'week')).toEqual(['2025-06-30', '2025-07-07', '2025-07-14']);
  });
  it('months: the first of each month, across a year end', () => {
    expect(bucketStarts('2025-11-15', '2026-02-01', 'month')).toEqual(['2025-11-01', '2025-12-01', '2026-01-01', '2026-02-01']);
  });
  it('one day is one bucket of each kind', () => {
    expect(bucketStarts('2025-07-01', '2025-07-01', 'day')).toEqual(['2025-07-01']);
    expect(bucketStarts('2025-07-01', '2025-07-01', 'week')).toEqual(['2025-06-30']);
    expect(bucketStarts('2025-07-01', '2025-07-01', 'month')).toEqual(['2025-07-01']);
  });
});
