// An in-memory copy of one (model, kind) vector table: rows L2-normalised so that a plain inner
// product is the cosine similarity, packed in one Float32Array that ORT scans without a copy.
// Memory: n × dim × 4 bytes for the rows, ≤ 1/16 spare capacity, 4 bytes per row for the row → id
// map and 4 bytes per photo id for the id → row map (≈ 1.07× the float32 bytes at 512-d).
export class VectorMirror {
  /** rows × dim, normalised; only the first `n` rows are live */
  data: Float32Array;
  /** photo id of each row */
  private ids: Int32Array;
  /** row + 1 of each photo id (0 = absent); indexed by photo id */
  private rowOf: Int32Array;
  n = 0;

  constructor(readonly dim: number, capacity = 1024) {
    this.data = new Float32Array(capacity * dim);
    this.ids = new Int32Array(capacity);
    this.rowOf = new Int32Array(1024);
  }

  get capacity(): number {
    return this.ids.length;
  }

  idAt(row: number): number {
    return this.ids[row] as number;
  }

  rowOfId(id: number): number {
    return id < this.rowOf.length ? (this.rowOf[id] as number) - 1 : -1;
  }

  /** Bytes held (rows incl. spare capacity + both maps). */
  bytes(): number {
    return this.data.byteLength + this.ids.byteLength + this.rowOf.byteLength;
  }

  /** Room for `rows` rows; grows by 1/16 (not 2×) so spare memory stays small at 1M rows. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const cap = Math.max(rows, this.capacity + Math.max(1024, Math.ceil(this.capacity / 16)));
    const d = new Float32Array(cap * this.dim);
    d.set(this.data.subarray(0, this.n * this.dim));
    const ids = new Int32Array(cap);
    ids.set(this.ids.subarray(0, this.n));
    this.data = d;
    this.ids = ids;
  }

  private reserveId(id: number): void {
    if (id < this.rowOf.length) return;
    const next = new Int32Array(Math.max(id + 1, this.rowOf.length + (this.rowOf.length >> 3)));
    next.set(this.rowOf);
    this.rowOf = next;
  }

  /** Insert or replace a photo's vector (`v` may be a view into a larger array). */
  upsert(id: number, v: Float32Array, offset = 0): void {
    if (!Number.isInteger(id) || id <= 0) throw new Error(`bad photo id ${id}`);
    let row = this.rowOfId(id);
    if (row < 0) {
      this.reserve(this.n + 1);
      this.reserveId(id);
      row = this.n++;
      this.ids[row] = id;
      this.rowOf[id] = row + 1;
    }
    const d = this.dim;
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const x = v[offset + j] as number;
      ss += x * x;
    }
    // A zero vector has no direction: it stays zero (cosine 0 to everything) instead of NaN.
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    const o = row * d;
    for (let j = 0; j < d; j++) this.data[o + j] = (v[offset + j] as number) * inv;
  }

  /** Remove a photo (the last row moves into its place). */
  remove(id: number): void {
    const row = this.rowOfId(id);
    if (row < 0) return;
    const last = this.n - 1;
    if (row !== last) {
      const moved = this.ids[last] as number;
      this.data.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.ids[row] = moved;
      this.rowOf[moved] = row + 1;
    }
    this.rowOf[id] = 0;
    this.n = last;
  }

  /** Cosine scores of the given photo ids against unit `q` (JS: for small candidate sets). */
  scoreIds(q: Float32Array, ids: readonly number[]): { rows: Int32Array; scores: Float32Array } {
    const rows = new Int32Array(ids.length);
    const scores = new Float32Array(ids.length);
    let m = 0;
    const d = this.dim;
    for (const id of ids) {
      const r = this.rowOfId(id);
      if (r < 0) continue;
      const o = r * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += (this.data[o + j] as number) * (q[j] as number);
      rows[m] = r;
      scores[m++] = s;
    }
    return { rows: rows.subarray(0, m), scores: scores.subarray(0, m) };
  }
}

/** Indices of the k largest values among `scores[i]` for the listed `rows` (or all rows), best first. */
export function topKOf(scores: Float32Array, k: number, rows?: Int32Array): Int32Array {
  const m = rows ? rows.length : scores.length;
  const kk = Math.min(k, m);
  if (kk <= 0) return new Int32Array(0);
  // Min-heap of the best kk positions seen so far (positions into `rows` / `scores`).
  const heap = new Int32Array(kk);
  const val = (p: number) => scores[rows ? (rows[p] as number) : p] as number;
  const worse = (a: number, b: number) => val(a) < val(b) || (val(a) === val(b) && a > b);
  const sift = (i: number, size: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < size && worse(heap[l] as number, heap[w] as number)) w = l;
      if (r < size && worse(heap[r] as number, heap[w] as number)) w = r;
      if (w === i) return;
      const t = heap[i] as number;
      heap[i] = heap[w] as number;
      heap[w] = t;
      i = w;
    }
  };
  for (let p = 0; p < kk; p++) heap[p] = p;
  for (let i = (kk >> 1) - 1; i >= 0; i--) sift(i, kk);
  for (let p = kk; p < m; p++) {
    if (worse(heap[0] as number, p)) {
      heap[0] = p;
      sift(0, kk);
    }
  }
  return Int32Array.from(heap).sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}
