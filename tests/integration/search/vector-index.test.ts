// The exact in-memory KNN (app/search/vector-index.ts) against a float64 brute force, on a real
// SQLite library (vec0 tables) and real ONNX Runtime: random and CLIP-like clustered data,
// candidate filters, inserts/deletes/replacements/rollbacks, another connection's writes, restart.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../app/store/db.js';
import { VectorStore, type KnnHit } from '../../../app/store/vectors.js';
import { VectorIndex } from '../../../app/search/vector-index.js';
import { candidateIds } from '../../../app/search/filters.js';
import { fillClusteredVectors, fillUnitVectors, queriesNear, rng } from '../../../bench/lib/vectors.js';
import { tempDir } from '../../helpers/engine.js';

const DIM = 512;
const root = tempDir('ml-vindex-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The library's vectors as the test knows them (id → raw vector), for the brute force. */
type Truth = Map<number, Float32Array>;

function bruteForce(truth: Truth, q: Float32Array, k: number, allow?: Set<number>): KnnHit[] {
  let qq = 0;
  for (const x of q) qq += x * x;
  const all: KnnHit[] = [];
  for (const [id, v] of truth) {
    if (allow && !allow.has(id)) continue;
    let d = 0;
    let vv = 0;
    for (let j = 0; j < DIM; j++) {
      d += (v[j] as number) * (q[j] as number);
      vv += (v[j] as number) * (v[j] as number);
    }
    all.push({ id, score: d / Math.sqrt(vv * qq) });
  }
  return all.sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
}

/** Same ids in the same order (a swap only between exact-score ties ≤ 1e-6 apart) and cosine scores within 1e-5. */
function expectExact(got: KnnHit[], want: KnnHit[], truth: Truth, q: Float32Array): void {
  expect(got.length).toBe(want.length);
  const exact = new Map(bruteForce(truth, q, truth.size).map((h) => [h.id, h.score]));
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    expect(Math.abs(g.score - exact.get(g.id)!)).toBeLessThan(1e-5);
    if (g.id !== w.id) expect(Math.abs(exact.get(g.id)! - w.score)).toBeLessThan(1e-6);
  }
}

function library(file: string, data: Float32Array, scaleSeed: number): { db: Db; vs: VectorStore; key: number; truth: Truth } {
  const db = openDatabase(file);
  const vs = new VectorStore(db);
  const key = vs.ensureModel('test-model', DIM);
  const truth: Truth = new Map();
  const r = rng(scaleSeed);
  db.transaction(() => {
    for (let i = 0; i < data.length / DIM; i++) {
      // Stored CLIP vectors are not unit length: scale each row so the cosine must normalise.
      const v = data.slice(i * DIM, (i + 1) * DIM).map((x) => x * (0.5 + 2 * r()));
      const id = 3 * i + 1; // sparse ids, as after deletions
      vs.put(key, 'clip', id, v);
      truth.set(id, v);
    }
  })();
  return { db, vs, key, truth };
}

describe('VectorIndex: exact top-k on the mirror', () => {
  it('equals the brute force on random vectors, and vec0 answers while the mirror loads', async () => {
    const n = 4000;
    const data = new Float32Array(n * DIM);
    fillUnitVectors(data, DIM, 11);
    const { db, vs, key, truth } = library(path.join(root, 'random.db'), data, 1);
    const index = new VectorIndex(vs);
    const qs = new Float32Array(10 * DIM);
    fillUnitVectors(qs, DIM, 12);
    const q0 = qs.subarray(0, DIM);
    // First query: the mirror is not loaded yet, vec0 answers (and the load starts).
    expect(index.isReady(key, 'clip')).toBe(false);
    expectExact(await index.knn(key, 'clip', q0, 50), bruteForce(truth, q0, 50), truth, q0);
    await index.ready(key, 'clip');
    expect(index.isReady(key, 'clip')).toBe(true);
    for (let i = 0; i < 10; i++) {
      const q = qs.subarray(i * DIM, (i + 1) * DIM);
      expectExact(await index.knn(key, 'clip', q, 50), bruteForce(truth, q, 50), truth, q);
    }
    // Memory: the rows plus ≤ 1/16 spare and two int maps.
    expect(index.bytes()).toBeLessThanOrEqual(1.1 * n * DIM * 4 + 64 * 1024);
    await index.close();
    db.close();
  });

  it('equals the brute force on clustered CLIP-like vectors with near queries, k above vec0 limit, and with filters', async () => {
    const n = 6000;
    const data = new Float32Array(n * DIM);
    fillClusteredVectors(data, DIM, 21);
    const { db, vs, key, truth } = library(path.join(root, 'clustered.db'), data, 2);
    const index = new VectorIndex(vs);
    await index.ready(key, 'clip');
    const ids = [...truth.keys()];
    const few = ids.filter((_, i) => i % 37 === 0); // few candidates: scored in JS
    const many = ids.filter((_, i) => i % 3 !== 0); // most rows: one ORT scan, then selected
    for (const q of queriesNear(data, DIM, 8, 22, 0.9)) {
      expectExact(await index.knn(key, 'clip', q, 50), bruteForce(truth, q, 50), truth, q);
      expectExact(await index.knn(key, 'clip', q, 5000), bruteForce(truth, q, 5000), truth, q);
      expectExact(await index.knn(key, 'clip', q, 20, few), bruteForce(truth, q, 20, new Set(few)), truth, q);
      expectExact(await index.knn(key, 'clip', q, 50, many), bruteForce(truth, q, 50, new Set(many)), truth, q);
      // Same ids as vec0's own exact KNN
      expect((await index.knn(key, 'clip', q, 50)).map((h) => h.id)).toEqual(vs.knn(key, 'clip', q, 50).map((h) => h.id));
    }
    expect(await index.knn(key, 'clip', data.subarray(0, DIM), 10, [])).toEqual([]);
    await index.close();
    db.close();
  });

  it('applies a folder filter from the photos table (candidateIds) exactly', async () => {
    const n = 3000;
    const data = new Float32Array(n * DIM);
    fillClusteredVectors(data, DIM, 31);
    const { db, vs, key, truth } = library(path.join(root, 'filters.db'), data, 3);
    db.prepare(`INSERT INTO folders (id, path, exclude_json, added_at) VALUES (1, '/a', '[]', 1), (2, '/b', '[]', 1)`).run();
    const ins = db.prepare(`INSERT INTO photos (id, path, folder_id, hash, size, mtime_ms, status, added_at, updated_at) VALUES (?, ?, ?, ?, 1, 1, 'indexed', 1, 1)`);
    db.transaction(() => { for (const id of truth.keys()) ins.run(id, `/f/${id}.jpg`, id % 5 === 0 ? 1 : 2, `h${id}`); })();
    const index = new VectorIndex(vs);
    await index.ready(key, 'clip');
    for (const folder of [1, 2]) {
      const cand = candidateIds(db, { folderIds: [folder] });
      const allow = new Set([...truth.keys()].filter((id) => (id % 5 === 0 ? 1 : 2) === folder));
      expect(new Set(cand)).toEqual(allow);
      for (const q of queriesNear(data, DIM, 4, 32 + folder)) expectExact(await index.knn(key, 'clip', q, 30, cand), bruteForce(truth, q, 30, allow), truth, q);
    }
    await index.close();
    db.close();
  });

  it('shows inserts, replacements and deletes in the next query, and ignores a rolled-back batch', async () => {
    const n = 3000;
    const data = new Float32Array(n * DIM);
    fillClusteredVectors(data, DIM, 41);
    const file = path.join(root, 'writes.db');
    const { db, vs, key, truth } = library(file, data, 4);
    const index = new VectorIndex(vs);
    await index.ready(key, 'clip');
    const [q] = queriesNear(data, DIM, 1, 42, 0.9) as [Float32Array];
    const before = await index.knn(key, 'clip', q, 50);
    expectExact(before, bruteForce(truth, q, 50), truth, q);
    // New photos right next to the query, the best three old hits deleted, one replaced by q itself.
    const extra = queriesNear(q, DIM, 5, 43, 0.99);
    db.transaction(() => {
      extra.forEach((v, i) => { vs.put(key, 'clip', 100_000 + i, v); truth.set(100_000 + i, v); });
      for (const h of before.slice(0, 3)) { vs.deletePhoto(h.id); truth.delete(h.id); }
      vs.put(key, 'clip', before[10]!.id, q);
      truth.set(before[10]!.id, q);
    })();
    const after = await index.knn(key, 'clip', q, 50);
    expect(after[0]).toMatchObject({ id: before[10]!.id });
    expect(after[0]!.score).toBeCloseTo(1, 5);
    expect(after.map((h) => h.id)).not.toContain(before[0]!.id);
    expectExact(after, bruteForce(truth, q, 50), truth, q);
    // A batch that fails half-way leaves SQLite unchanged: so must the mirror.
    expect(() => db.transaction(() => {
      vs.put(key, 'clip', 200_000, q);
      vs.deletePhoto(after[1]!.id);
      throw new Error('decode failed');
    })()).toThrow('decode failed');
    expectExact(await index.knn(key, 'clip', q, 50), bruteForce(truth, q, 50), truth, q);

    // Another connection (e.g. the CLI on the same library) writes: data_version moves, the mirror reloads.
    const other = new Database(file);
    sqliteVec.load(other);
    other.prepare(`DELETE FROM vec_clip_${key} WHERE rowid = ?`).run(BigInt(after[1]!.id));
    other.close();
    truth.delete(after[1]!.id);
    expectExact(await index.knn(key, 'clip', q, 50), bruteForce(truth, q, 50), truth, q);
    await index.ready(key, 'clip');
    expect(index.isReady(key, 'clip')).toBe(true);
    expectExact(await index.knn(key, 'clip', q, 50), bruteForce(truth, q, 50), truth, q);
    await index.close();
    db.close();

    // Restart: a fresh connection and index load the same state from SQLite.
    const db2 = openDatabase(file);
    const vs2 = new VectorStore(db2);
    const index2 = new VectorIndex(vs2);
    await index2.ready(key, 'clip');
    expectExact(await index2.knn(key, 'clip', q, 50), bruteForce(truth, q, 50), truth, q);
    for (const q2 of queriesNear(data, DIM, 4, 44)) expectExact(await index2.knn(key, 'clip', q2, 50), bruteForce(truth, q2, 50), truth, q2);
    await index2.close();
    db2.close();
  });
});
