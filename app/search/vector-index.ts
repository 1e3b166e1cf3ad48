// Exact cosine KNN over in-memory mirrors of the vec0 tables, scanned by ONNX Runtime (MLAS SGEMV).
// SQLite stays the source of truth:
// - every put/delete through the VectorStore marks that photo dirty; before each search the dirty
//   photos are re-read from SQLite (so a rolled-back batch leaves no trace) and patched in;
// - a commit by another connection (another process on the same library) bumps SQLite's
//   data_version; the mirror is then rebuilt in the background;
// - a mirror loads in slices of storage chunks between queries; until it is complete, searches
//   run on vec0 (exact too, only slower), so a 1M library searches correctly from the first query.
import type { KnnHit, VecKind, VectorStore } from '../store/vectors.js';
import { ExactScanner } from './exact-scan.js';
import { topKOf, VectorMirror } from './vector-mirror.js';

/** Storage chunks (1,024 vectors each) read per slice of the background load. */
const CHUNKS_PER_SLICE = 16;

interface Entry {
  key: number;
  kind: VecKind;
  mirror: VectorMirror | null;
  loading: Promise<void> | null;
  dirty: Set<number>;
  /** a write landed during the load: re-check those ids once it completes */
  version: number;
  /** serialises patching and scanning (ORT reads `mirror.data` while a scan runs) */
  lock: Promise<unknown>;
}

export class VectorIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly scanners = new Map<number, Promise<ExactScanner>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly vectors: VectorStore) {
    this.unsubscribe = vectors.onChange((key, kind, id) => this.entries.get(`${key}/${kind}`)?.dirty.add(id));
  }

  private entry(key: number, kind: VecKind): Entry {
    const name = `${key}/${kind}`;
    let e = this.entries.get(name);
    if (!e) {
      // Searches use one model at a time: a switch frees the previous model's mirrors.
      for (const [n, old] of this.entries) if (old.key !== key) this.entries.delete(n);
      e = { key, kind, mirror: null, loading: null, dirty: new Set(), version: -1, lock: Promise.resolve() };
      this.entries.set(name, e);
    }
    return e;
  }

  private scanner(dim: number): Promise<ExactScanner> {
    let s = this.scanners.get(dim);
    if (!s) {
      s = ExactScanner.create(dim);
      this.scanners.set(dim, s);
    }
    return s;
  }

  /** Starts loading (if needed) and resolves once the mirror of (key, kind) serves searches. */
  ready(key: number, kind: VecKind): Promise<void> {
    const e = this.entry(key, kind);
    this.checkVersion(e);
    if (e.mirror) return Promise.resolve();
    e.loading ??= this.load(e).finally(() => (e.loading = null));
    return e.loading;
  }

  /** Whether searches of (key, kind) currently run on the mirror (vs vec0 while it loads). */
  isReady(key: number, kind: VecKind): boolean {
    return !!this.entries.get(`${key}/${kind}`)?.mirror;
  }

  /** Bytes held by all mirrors (the memory beyond SQLite's own cache). */
  bytes(): number {
    let b = 0;
    for (const e of this.entries.values()) b += e.mirror?.bytes() ?? 0;
    return b;
  }

  private checkVersion(e: Entry): void {
    if (!e.mirror) return;
    const v = this.vectors.dataVersion();
    if (v !== e.version) {
      // Another connection committed: rebuild in the background, vec0 serves meanwhile.
      e.mirror = null;
    }
  }

  private async load(e: Entry): Promise<void> {
    const dim = this.vectors.dim(e.key);
    if (dim <= 0) throw new Error(`no vector tables for model key ${e.key}`);
    const version = this.vectors.dataVersion();
    e.dirty.clear();
    const m = new VectorMirror(dim, Math.max(1024, Math.ceil(this.vectors.count(e.key, e.kind) * 1.02)));
    let after = 0;
    for (;;) {
      if (this.closed) return;
      const chunks = this.vectors.readChunks(e.key, e.kind, dim, after, CHUNKS_PER_SLICE);
      for (const c of chunks) {
        for (let s = 0; s < c.rowids.length; s++) {
          if ((((c.validity[s >> 3] as number) >> (s & 7)) & 1) === 0) continue;
          m.upsert(Number(c.rowids[s]), c.vectors, s * dim);
        }
        after = c.chunkId;
      }
      if (chunks.length < CHUNKS_PER_SLICE) break;
      // Let queries (answered by vec0 meanwhile) and indexing run between slices.
      await new Promise((r) => setImmediate(r));
    }
    await this.scanner(dim);
    e.version = version;
    e.mirror = m;
    // Writes by another connection during the load: start over; our own are in `dirty`.
    if (this.vectors.dataVersion() !== version) e.mirror = null;
  }

  /** Re-reads every dirty photo from SQLite into the mirror. */
  private patch(e: Entry, m: VectorMirror): void {
    if (e.dirty.size === 0) return;
    for (const id of e.dirty) {
      const v = this.vectors.get(e.key, e.kind, id);
      if (v) m.upsert(id, v);
      else m.remove(id);
    }
    e.dirty.clear();
  }

  /**
   * Exact top-k by cosine (scores are cosine similarities), optionally among candidate photo ids.
   * Same contract as VectorStore.knn; answered by vec0 while the mirror loads.
   */
  async knn(key: number, kind: VecKind, q: Float32Array, k: number, candidates?: readonly number[]): Promise<KnnHit[]> {
    const e = this.entry(key, kind);
    this.checkVersion(e);
    if (!e.mirror) {
      void this.ready(key, kind).catch(() => undefined);
      return this.vectors.knn(key, kind, q, k, candidates);
    }
    const run = e.lock.then(() => this.scan(e, q, k, candidates));
    e.lock = run.catch(() => undefined);
    return run;
  }

  private async scan(e: Entry, q: Float32Array, k: number, candidates?: readonly number[]): Promise<KnnHit[]> {
    const m = e.mirror;
    if (!m) return this.vectors.knn(e.key, e.kind, q, k, candidates);
    this.patch(e, m);
    if (q.length !== m.dim) throw new Error(`query has dim ${q.length}, model ${m.dim}`);
    const unit = normalised(q);
    if (k <= 0 || m.n === 0 || (candidates && candidates.length === 0)) return [];
    const hits = (rows: ArrayLike<number>, scores: ArrayLike<number>, pos: Int32Array): KnnHit[] =>
      Array.from(pos, (p) => ({ id: m.idAt(rows[p] as number), score: scores[p] as number }));
    if (!candidates) {
      const r = await (await this.scanner(m.dim)).topK(m.data, m.n, unit, k);
      return Array.from(r.rows, (row, i) => ({ id: m.idAt(row), score: r.scores[i] as number }));
    }
    // Few candidates: score just those in JS (~1 µs each) rather than scan every row (~0.08 µs each).
    if (candidates.length * 16 < m.n) {
      const s = m.scoreIds(unit, candidates);
      return hits(s.rows, s.scores, topKOf(s.scores, k));
    }
    const all = await (await this.scanner(m.dim)).scores(m.data, m.n, unit);
    const rows = new Int32Array(candidates.length);
    let c = 0;
    for (const id of candidates) {
      const r = m.rowOfId(id);
      if (r >= 0) rows[c++] = r;
    }
    const cand = rows.subarray(0, c);
    return Array.from(topKOf(all, k, cand), (p) => ({ id: m.idAt(cand[p] as number), score: all[cand[p] as number] as number }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    this.entries.clear();
    const scanners = [...this.scanners.values()];
    this.scanners.clear();
    await Promise.all(scanners.map(async (s) => (await s).close()));
  }
}

function normalised(q: Float32Array): Float32Array {
  let ss = 0;
  for (let j = 0; j < q.length; j++) ss += (q[j] as number) * (q[j] as number);
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  return Float32Array.from(q, (x) => x * inv);
}
