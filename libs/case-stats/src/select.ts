/**
 * Quickselect (Hoare partition, median of three) on a[lo..hi): afterwards a[k] holds the value
 * the ascending order puts there, everything before it is ≤ and everything after it ≥.
 */
export function selectInPlace(a: Int32Array, lo: number, hi: number, k: number): void {
  let l = lo;
  let r = hi - 1;
  while (r > l) {
    const m = (l + r) >>> 1;
    // Median of three as the pivot: sorted or constant runs stay linear.
    if (a[m] < a[l]) swap(a, m, l);
    if (a[r] < a[l]) swap(a, r, l);
    if (a[r] < a[m]) swap(a, r, m);
    const pivot = a[m];
    let i = l;
    let j = r;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return;
  }
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** The least value of a[lo..hi). */
export function minOf(a: Int32Array, lo: number, hi: number): number {
  let m = a[lo];
  for (let i = lo + 1; i < hi; i++) if (a[i] < m) m = a[i];
  return m;
}
