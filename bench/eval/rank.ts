// Exact ranking over an in-memory gallery (n×dim rows). Evaluation galleries are a few thousand to ~120k images,
// so a plain scan is simpler and exact; the product's store does its own KNN (app/store).

/** L2-normalises each row in place (zero rows stay zero). Returns the same array. */
export function normalizeRows(m: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < m.length; o += dim) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += (m[o + j] as number) ** 2;
    if (ss === 0) continue;
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < dim; j++) m[o + j] = (m[o + j] as number) * inv;
  }
  return m;
}

export function row(m: Float32Array, dim: number, i: number): Float32Array {
  return m.subarray(i * dim, (i + 1) * dim);
}

export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s0 = 0, s1 = 0;
  const n = a.length;
  let j = 0;
  for (; j + 1 < n; j += 2) { s0 += (a[j] as number) * (b[bOffset + j] as number); s1 += (a[j + 1] as number) * (b[bOffset + j + 1] as number); }
  if (j < n) s0 += (a[j] as number) * (b[bOffset + j] as number);
  return s0 + s1;
}

/**
 * Indices of the k rows with the largest dot product with q, best first (ties: lower index first).
 * One pass with a small sorted buffer: O(n·dim + n·k) worst case, O(n·dim) in practice.
 */
export function topKByDot(data: Float32Array, dim: number, q: Float32Array, k: number, n = data.length / dim): Int32Array {
  const kk = Math.min(k, n);
  const bestIdx = new Int32Array(kk).fill(-1);
  const bestVal = new Float64Array(kk).fill(-Infinity);
  if (kk === 0) return bestIdx;
  let worst = -Infinity;
  for (let v = 0; v < n; v++) {
    const o = v * dim;
    // 4 accumulators let V8 overlap the multiply-adds
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j + 3 < dim; j += 4) {
      s0 += (data[o + j] as number) * (q[j] as number);
      s1 += (data[o + j + 1] as number) * (q[j + 1] as number);
      s2 += (data[o + j + 2] as number) * (q[j + 2] as number);
      s3 += (data[o + j + 3] as number) * (q[j + 3] as number);
    }
    for (; j < dim; j++) s0 += (data[o + j] as number) * (q[j] as number);
    const s = s0 + s1 + s2 + s3;
    if (s <= worst) continue;
    let p = kk - 1;
    while (p > 0 && (bestVal[p - 1] as number) < s) { bestVal[p] = bestVal[p - 1] as number; bestIdx[p] = bestIdx[p - 1] as number; p--; }
    bestVal[p] = s;
    bestIdx[p] = v;
    worst = bestVal[kk - 1] as number;
  }
  return bestIdx;
}

/** Ranks a gallery of ids for one query: top k ids, best first, skipping `exclude` (e.g. the reference image). */
export function rankIds<T>(data: Float32Array, dim: number, ids: readonly T[], q: Float32Array, k: number, exclude?: ReadonlySet<T>): T[] {
  const extra = exclude ? exclude.size : 0;
  const top = topKByDot(data, dim, q, k + extra, ids.length);
  const out: T[] = [];
  for (const i of top) {
    if (i < 0) break;
    const id = ids[i] as T;
    if (exclude?.has(id)) continue;
    out.push(id);
    if (out.length === k) break;
  }
  return out;
}
