/** The median of repeated measurements (the lower middle one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** How many times each figure and its floor run, alternately (BENCH_REPEATS, 3 by default). */
export const REPEATS = Math.max(1, Number(process.env.BENCH_REPEATS ?? 3));

/** " (min–max)" of repeated measurements, or nothing for a single one. */
export const range = (xs: number[], digits: number): string =>
  xs.length > 1 ? ` (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : '';
