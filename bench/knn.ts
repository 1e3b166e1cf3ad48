// Vector-search benchmark: sqlite-vec float vs int8 vs bit-with-float-rerank, a plain Float32Array scan and the
// memory-bandwidth bound of that scan, at several store sizes (512-d random unit vectors, k = 50).
// Run alone: `npx tsx bench/knn.ts [--sizes 10000,100000] [--queries 50] [--mirror]`; bench/perf.ts calls runKnnBench()
// and runMirrorBench() (the store's exact in-memory KNN against numpy, interleaved).
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sqliteVec from 'sqlite-vec';
import { bruteForceTopK, fillUnitVectors, rng } from './lib/vectors.js';
import { nowMs, parseArgs, percentile, printTable, writeResults } from './lib/report.js';

export const DIM = 512;
export const K = 50;

export interface KnnOptions {
  sizes: number[];
  /** queries per size (latency + recall); sizes ≥ 1M use `queriesLarge` */
  queries: number;
  queriesLarge: number;
  /** candidates fetched by the quantised index before the float rerank, as a multiple of k */
  bitOversample: number;
  int8Oversample: number;
  readGBs: number;
  log?: (s: string) => void;
  /** full composed query (text tower on an instruction + fusion head → unit query vector), timed with the KNN */
  compose?: (i: number) => Promise<Float32Array>;
  /** skip the cosine float table at and above this size (quick mode: it is the slowest to build) */
  skipCosineFrom?: number;
}

export interface VariantResult {
  variant: string;
  n: number;
  queries: number;
  p50: number;
  p95: number;
  recallRandom: number | null;
  recallNear: number | null;
  insertPerSec: number | null;
  bytesPerVector: number;
  composedP50?: number;
  composedP95?: number;
}

function recallAt(found: ArrayLike<number>, exact: ArrayLike<number>): number {
  const s = new Set<number>();
  for (let i = 0; i < exact.length; i++) s.add(exact[i] as number);
  let hit = 0;
  for (let i = 0; i < found.length; i++) if (s.has(found[i] as number)) hit++;
  return hit / exact.length;
}

/** Queries near a stored vector (cosine ≈ 0.8 to it), like "find more like this photo" on real embeddings. */
function nearQueries(data: Float32Array, n: number, count: number, seed: number): Float32Array[] {
  const r = rng(seed);
  const noise = new Float32Array(count * DIM);
  fillUnitVectors(noise, DIM, seed + 1);
  const out: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const src = Math.floor(r() * n);
    const q = new Float32Array(DIM);
    let ss = 0;
    for (let j = 0; j < DIM; j++) {
      const v = 0.8 * (data[src * DIM + j] as number) + 0.6 * (noise[i * DIM + j] as number);
      q[j] = v;
      ss += v * v;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < DIM; j++) q[j] = (q[j] as number) * inv;
    out.push(q);
  }
  return out;
}

export async function runKnnBench(opts: KnnOptions): Promise<VariantResult[]> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const results: VariantResult[] = [];
  for (const n of opts.sizes) {
    const qCount = n >= 1_000_000 ? opts.queriesLarge : opts.queries;
    const t0 = nowMs();
    const data = new Float32Array(n * DIM);
    fillUnitVectors(data, DIM, 1234);
    const randomQ: Float32Array[] = [];
    const qbuf = new Float32Array(qCount * DIM);
    fillUnitVectors(qbuf, DIM, 99);
    for (let i = 0; i < qCount; i++) randomQ.push(qbuf.slice(i * DIM, (i + 1) * DIM));
    const nearQ = nearQueries(data, n, qCount, 7);
    log(`[knn] n=${n}: generated ${n} vectors in ${((nowMs() - t0) / 1000).toFixed(1)} s`);

    // Exact answers and the plain-scan latency in one go
    const exactRandom: Int32Array[] = [];
    const exactNear: Int32Array[] = [];
    const scanTimes: number[] = [];
    for (const q of randomQ) {
      const t = nowMs();
      exactRandom.push(bruteForceTopK(data, DIM, q, K, n));
      scanTimes.push(nowMs() - t);
    }
    for (const q of nearQ) exactNear.push(bruteForceTopK(data, DIM, q, K, n));
    // Store row ids are 1-based; the scan's are 0-based
    const toRow = (a: Int32Array) => Array.from(a, (x) => x + 1);
    const exR = exactRandom.map(toRow);
    const exN = exactNear.map(toRow);
    const scanRes: VariantResult = { variant: 'Float32Array scan (JS, exact)', n, queries: qCount, p50: percentile(scanTimes, 50), p95: percentile(scanTimes, 95), recallRandom: 1, recallNear: 1, insertPerSec: null, bytesPerVector: DIM * 4 };
    if (opts.compose) {
      const ct: number[] = [];
      for (let i = 0; i < Math.min(qCount, 20); i++) {
        const t = nowMs();
        bruteForceTopK(data, DIM, await opts.compose(i), K, n);
        ct.push(nowMs() - t);
      }
      scanRes.composedP50 = percentile(ct, 50);
      scanRes.composedP95 = percentile(ct, 95);
    }
    results.push(scanRes);
    const boundMs = (n * DIM * 4) / (opts.readGBs * 1e9) * 1000;
    results.push({ variant: 'memory-bandwidth bound of the scan', n, queries: 0, p50: boundMs, p95: boundMs, recallRandom: 1, recallNear: 1, insertPerSec: null, bytesPerVector: DIM * 4 });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magiclens-knn-'));
    try {
      const db = new Database(path.join(dir, 'vec.db'));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      sqliteVec.load(db);
      // Unit vectors: L2 order == cosine order, and vec0's L2 path is the cheaper one, so the store can use it.
      db.exec(`create virtual table vfc using vec0(embedding float[${DIM}] distance_metric=cosine)`);
      db.exec(`create virtual table vf using vec0(embedding float[${DIM}])`);
      db.exec(`create virtual table vi using vec0(embedding int8[${DIM}])`);
      db.exec(`create virtual table vb using vec0(bq bit[${DIM}])`);
      // The rerank reads float vectors from an ordinary rowid table: a vec0 point lookup costs ~50 µs per row.
      db.exec('create table fb(id integer primary key, v blob not null)');
      type Variant = { name: string; insert?: (id: bigint, v: Float32Array) => void; query: (q: Float32Array) => number[]; bytes: number };
      const variants: Variant[] = [];
      const insFC = db.prepare('insert into vfc(rowid, embedding) values (?, ?)');
      const insF = db.prepare('insert into vf(rowid, embedding) values (?, ?)');
      const insI = db.prepare(`insert into vi(rowid, embedding) values (?, vec_quantize_int8(?, 'unit'))`);
      const insB = db.prepare('insert into vb(rowid, bq) values (?, vec_quantize_binary(?))');
      const insBlob = db.prepare('insert into fb(id, v) values (?, ?)');
      const qFC = db.prepare(`select rowid from vfc where embedding match ? and k = ${K}`).pluck();
      const qF = db.prepare(`select rowid from vf where embedding match ? and k = ${K}`).pluck();
      const qI = db.prepare(`select rowid from vi where embedding match vec_quantize_int8(?, 'unit') and k = ${K}`).pluck();
      const rerank = (inner: string) => db.prepare(`with c as (${inner}) select c.rowid from c join fb on fb.id = c.rowid
        order by vec_distance_l2(fb.v, ?) limit ${K}`).pluck();
      const qIR = rerank(`select rowid from vi where embedding match vec_quantize_int8(?, 'unit') and k = ${K * opts.int8Oversample}`);
      const qBR = rerank(`select rowid from vb where bq match vec_quantize_binary(?) and k = ${K * opts.bitOversample}`);
      const qBR2 = rerank(`select rowid from vb where bq match vec_quantize_binary(?) and k = ${K * opts.int8Oversample}`);
      if (n < (opts.skipCosineFrom ?? Infinity)) variants.push({ name: 'sqlite-vec float, cosine (exact)', insert: (id, v) => insFC.run(id, v), query: (q) => qFC.all(q) as number[], bytes: DIM * 4 });
      variants.push({ name: 'sqlite-vec float, L2 (exact)', insert: (id, v) => insF.run(id, v), query: (q) => qF.all(q) as number[], bytes: DIM * 4 });
      variants.push({ name: 'sqlite-vec int8', insert: (id, v) => insI.run(id, v), query: (q) => qI.all(q) as number[], bytes: DIM });
      variants.push({ name: `sqlite-vec int8 → float rerank (${opts.int8Oversample}×k)`, query: (q) => qIR.all(q, q) as number[], bytes: DIM + DIM * 4 });
      variants.push({ name: 'sqlite-vec bit (insert only)', insert: (id, v) => insB.run(id, v), query: () => [], bytes: DIM / 8 });
      variants.push({ name: 'float blob table (insert only)', insert: (id, v) => insBlob.run(id, Buffer.from(v.buffer, v.byteOffset, v.byteLength)), query: () => [], bytes: DIM * 4 });
      variants.push({ name: `sqlite-vec bit → float rerank (${opts.int8Oversample}×k)`, query: (q) => qBR2.all(q, q) as number[], bytes: DIM / 8 + DIM * 4 });
      variants.push({ name: `sqlite-vec bit → float rerank (${opts.bitOversample}×k)`, query: (q) => qBR.all(q, q) as number[], bytes: DIM / 8 + DIM * 4 });
      const insertRate = new Map<string, number>();
      for (const v of variants) {
        const ins = v.insert;
        if (!ins) continue;
        const t = nowMs();
        const BATCH = 10_000; // one transaction per batch, as the indexer does
        for (let s = 0; s < n; s += BATCH) {
          db.transaction(() => {
            for (let i = s; i < Math.min(n, s + BATCH); i++) ins(BigInt(i + 1), data.subarray(i * DIM, (i + 1) * DIM));
          })();
        }
        const dt = (nowMs() - t) / 1000;
        insertRate.set(v.name, n / dt);
      }
      log(`[knn] n=${n}: inserted into every table in ${((nowMs() - t0) / 1000).toFixed(1)} s since start`);
      for (const v of variants) {
        if (v.name.endsWith('(insert only)')) {
          results.push({ variant: v.name, n, queries: 0, p50: Number.NaN, p95: Number.NaN, recallRandom: null, recallNear: null, insertPerSec: insertRate.get(v.name) ?? null, bytesPerVector: v.bytes });
          continue;
        }
        v.query(randomQ[0] as Float32Array); // warm the page cache / statement
        const times: number[] = [];
        let rr = 0;
        let rn = 0;
        for (let i = 0; i < qCount; i++) {
          const t = nowMs();
          const got = v.query(randomQ[i] as Float32Array);
          times.push(nowMs() - t);
          rr += recallAt(got, exR[i] as number[]);
        }
        for (let i = 0; i < qCount; i++) rn += recallAt(v.query(nearQ[i] as Float32Array), exN[i] as number[]);
        const res: VariantResult = { variant: v.name, n, queries: qCount, p50: percentile(times, 50), p95: percentile(times, 95), recallRandom: rr / qCount, recallNear: rn / qCount, insertPerSec: insertRate.get(v.name) ?? null, bytesPerVector: v.bytes };
        if (opts.compose) {
          const ct: number[] = [];
          for (let i = 0; i < Math.min(qCount, 20); i++) {
            const t = nowMs();
            v.query(await opts.compose(i));
            ct.push(nowMs() - t);
          }
          res.composedP50 = percentile(ct, 50);
          res.composedP95 = percentile(ct, 95);
        }
        results.push(res);
        log(`[knn] n=${n}: ${v.name} p50 ${percentile(times, 50).toFixed(2)} ms`);
      }
      db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

export function printKnn(results: VariantResult[]): string {
  return printTable('KNN latency (k = 50, 512-d, random unit vectors) and recall@50 vs exact',
    ['variant', 'stored vectors', 'queries', 'KNN p50 ms', 'KNN p95 ms', 'composed p50 ms', 'composed p95 ms', 'recall@50 (random q)', 'recall@50 (near q)', 'inserts/s', 'bytes/vector'],
    results.map((r) => [r.variant, r.n, r.queries || null, r.p50, r.p95, r.composedP50, r.composedP95, r.recallRandom, r.recallNear, r.insertPerSec === null ? null : Math.round(r.insertPerSec), r.bytesPerVector]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  const sizes = String(args.get('sizes') ?? '10000,100000').split(',').map(Number);
  if (args.has('mirror')) {
    // `--mirror`: only the store's exact KNN vs numpy (no model: KNN figures only)
    const rows = await runMirrorBench({ sizes, queries: Number(args.get('queries') ?? 50), queriesLarge: 20, log: (s) => process.stderr.write(s + '\n') });
    printMirror(rows);
    writeResults('knn-mirror', { results: rows });
    process.exit(0);
  }
  const { measureReadBandwidth } = await import('./lib/vectors.js');
  const bw = measureReadBandwidth();
  const results = await runKnnBench({ sizes, queries: Number(args.get('queries') ?? 50), queriesLarge: 20, bitOversample: 10, int8Oversample: 4, readGBs: Math.max(bw.jsSumGBs, bw.memcpyGBs) });
  console.log(`memory read bandwidth: JS sum ${bw.jsSumGBs.toFixed(1)} GB/s, memcpy ${bw.memcpyGBs.toFixed(1)} GB/s (read+write)`);
  printKnn(results);
  writeResults('knn', { bandwidth: bw, results });
}

// ---- The store's exact KNN (app/search/vector-index.ts) against numpy, interleaved query by query ----

export interface MirrorResult {
  n: number;
  data: 'random' | 'clustered';
  meanCos: number;
  queries: number;
  p50: number;
  p95: number;
  numpyP50: number;
  numpyP95: number;
  /** ours ÷ numpy, p50 over the same interleaved queries */
  ratio: number;
  /** queries whose top-k ids equal numpy's exactly (order included) */
  sameAsNumpy: number;
  insertPerSec: number;
  loadMs: number;
  rssMiB: number;
  mirrorMiB: number;
  float32MiB: number;
  composedP50?: number;
  composedP95?: number;
  textP50?: number;
  textP95?: number;
}

export interface MirrorOptions {
  sizes: number[];
  queries: number;
  queriesLarge: number;
  log: (s: string) => void;
  compose?: (i: number) => Promise<Float32Array>;
  text?: (i: number) => Promise<Float32Array>;
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t = nowMs();
  const r = await f();
  return [nowMs() - t, r];
}

async function mirrorOne(n: number, kind: 'random' | 'clustered', o: MirrorOptions): Promise<MirrorResult> {
  const { openDatabase } = await import('../app/store/db.js');
  const { VectorStore } = await import('../app/store/vectors.js');
  const { VectorIndex } = await import('../app/search/vector-index.js');
  const { NumpyBaseline } = await import('./lib/numpy-baseline.js');
  const { fillClusteredVectors, meanPairwiseCosine, queriesNear } = await import('./lib/vectors.js');
  const qCount = n >= 1_000_000 ? o.queriesLarge : o.queries;
  const data = new Float32Array(n * DIM);
  let qs: Float32Array[];
  if (kind === 'random') {
    fillUnitVectors(data, DIM, 1234);
    const qb = new Float32Array(qCount * DIM);
    fillUnitVectors(qb, DIM, 99);
    qs = Array.from({ length: qCount }, (_, i) => qb.slice(i * DIM, (i + 1) * DIM));
  } else {
    fillClusteredVectors(data, DIM, 4321);
    qs = queriesNear(data, DIM, qCount, 77, 0.9);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-knn-mirror-'));
  const db = openDatabase(path.join(dir, 'library.db'));
  try {
    const vs = new VectorStore(db);
    const key = vs.ensureModel('bench', DIM);
    const t0 = nowMs();
    for (let s = 0; s < n; s += 10_000) {
      db.transaction(() => { for (let i = s; i < Math.min(n, s + 10_000); i++) vs.put(key, 'target', i + 1, data.subarray(i * DIM, (i + 1) * DIM)); })();
    }
    const insertPerSec = n / ((nowMs() - t0) / 1000);
    const index = new VectorIndex(vs);
    const rss0 = process.memoryUsage().rss;
    const [loadMs] = await timed(() => index.ready(key, 'target'));
    const rssMiB = (process.memoryUsage().rss - rss0) / 2 ** 20;
    const np = await NumpyBaseline.start(data, DIM, qs, K);
    await index.knn(key, 'target', qs[0]!, K);
    await np.query(0);
    const ours: number[] = [];
    const theirs: number[] = [];
    let same = 0;
    for (let i = 0; i < qCount; i++) {
      const [ms, hits] = await timed(() => index.knn(key, 'target', qs[i]!, K));
      ours.push(ms);
      const r = await np.query(i);
      theirs.push(r.ms);
      if (hits.every((h, j) => h.id === (r.rows[j] as number) + 1)) same++;
    }
    np.close();
    const res: MirrorResult = { n, data: kind, meanCos: meanPairwiseCosine(data, DIM), queries: qCount, p50: percentile(ours, 50), p95: percentile(ours, 95), numpyP50: percentile(theirs, 50), numpyP95: percentile(theirs, 95), ratio: percentile(ours, 50) / percentile(theirs, 50), sameAsNumpy: same, insertPerSec, loadMs, rssMiB, mirrorMiB: index.bytes() / 2 ** 20, float32MiB: (n * DIM * 4) / 2 ** 20 };
    for (const [name, f] of [['composed', o.compose], ['text', o.text]] as const) {
      if (!f) continue;
      const t: number[] = [];
      for (let i = 0; i < Math.min(qCount, 20); i++) t.push((await timed(async () => index.knn(key, 'target', await f(i), K)))[0]);
      if (name === 'composed') [res.composedP50, res.composedP95] = [percentile(t, 50), percentile(t, 95)];
      else [res.textP50, res.textP95] = [percentile(t, 50), percentile(t, 95)];
    }
    await index.close();
    o.log(`[knn-mirror] n=${n} ${kind}: ours ${res.p50.toFixed(2)} ms, numpy ${res.numpyP50.toFixed(2)} ms, load ${loadMs.toFixed(0)} ms`);
    return res;
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runMirrorBench(o: MirrorOptions): Promise<MirrorResult[]> {
  const out: MirrorResult[] = [];
  for (const n of o.sizes) for (const kind of ['random', 'clustered'] as const) out.push(await mirrorOne(n, kind, o));
  return out;
}

export function printMirror(rows: MirrorResult[]): string {
  const sizes = [...new Set(rows.map((r) => r.n))];
  const lines = sizes.map((n) => {
    const r = rows.find((x) => x.n === n && x.data === 'random');
    const c = rows.find((x) => x.n === n && x.data === 'clustered');
    return `knn vs numpy at ${n.toLocaleString('en-US')}: ${(r ?? c)!.ratio.toFixed(2)}×${r && c ? ` (clustered CLIP-like data: ${c.ratio.toFixed(2)}×)` : ''}`;
  });
  process.stdout.write(`\n${lines.join('\n')}\n`);
  return printTable('Exact KNN of the store (in-memory mirror, ORT MLAS GEMV + TopK) vs numpy `X @ q` + argpartition, k = 50, 512-d, queries interleaved',
    ['data', 'stored vectors', 'mean pairwise cos', 'queries', 'ours p50 ms', 'ours p95 ms', 'numpy p50 ms', 'numpy p95 ms', 'ours ÷ numpy (p50)', 'same top-50 as numpy', 'composed p50 ms', 'composed p95 ms', 'text p50 ms', 'text p95 ms', 'load from SQLite ms', 'RSS growth MiB', 'mirror MiB', 'float32 MiB', 'inserts/s'],
    rows.map((r) => [r.data, r.n, r.meanCos, r.queries, r.p50, r.p95, r.numpyP50, r.numpyP95, r.ratio, `${r.sameAsNumpy}/${r.queries}`, r.composedP50, r.composedP95, r.textP50, r.textP95, r.loadMs, r.rssMiB, r.mirrorMiB, r.float32MiB, Math.round(r.insertPerSec)])) + lines.join('\n');
}
