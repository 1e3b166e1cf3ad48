// Pause/resume, switching the active model (embeddings are per model and never mixed), and the
// interactive lane answering queries while bulk indexing is running.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../app/model/registry.js';
import type { EngineService } from '../../../app/service.js';
import { emptyBundledDir, sleep, tempDir, tinyService, waitFor, writePhoto } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const pack = await tinyPackDir();
const root = tempDir('ml-life-');
const lib = path.join(root, 'library');
const N = 80;
const BATCH = 2;
let svc: EngineService;
/**
 * Bound on the text-query p95 while the bulk lane indexes (tiny pack, 2 cores shared with other
 * work, load average ~14). Measured p95 in 3 runs: 26.2, 56.2 and 22.9 ms (idle: 3.4–21.1 ms);
 * 250 ms is ~4.5× the worst of them, room for the 2× swings of a loaded machine. Without the
 * worker thread a base-size batch stalls the main thread for seconds, which this bound catches.
 */
const P95_BOUND_MS = 250;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
const indexed = () => (svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'indexed'`).get() as { n: number }).n;

beforeAll(async () => {
  if (!pack) return;
  for (let i = 0; i < N; i++) await writePhoto(path.join(lib, `x${i}.jpg`), 300 + i, { width: 1200, height: 900 }); // big enough that indexing outlasts the query sampling
  svc = (await tinyService(root, { batchSize: BATCH, bulkIdleMs: 1500 }))!;
});
afterAll(async () => {
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!pack)('indexing lifecycle', () => {
  it('pauses and resumes; queries are answered while indexing runs', async () => {
    const progress: { state: string; done: number; total: number; ratePerSec: number; etaSec: number | null; current: string | null }[] = [];
    const off = svc.onEvent((e) => {
      if (e.event === 'index.progress') progress.push(e.data as (typeof progress)[number]);
    });
    // Idle baseline of the interactive lane, then the same query while bulk indexing runs.
    const query = () => svc.handlers['search.text']({ text: 'a beach at sunset', offset: 0, limit: 10, filters: {} });
    await query(); // warm: the text tower's first run
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push((await timed(query)).ms);
    await svc.handlers['folders.add']({ path: lib, exclude: [] });
    await waitFor(() => indexed() >= 4, 30_000, 'first batches');

    // Only queries that started AND ended while the indexer reported 'indexing' count: no
    // assumption about how fast the bulk lane goes.
    const busy: number[] = [];
    while (busy.length < 20) {
      const before = (await svc.handlers['index.progress']({})).state;
      if (before !== 'indexing') break;
      const { ms, value } = await timed(query);
      expect(value.hits.length).toBeGreaterThan(0);
      if ((await svc.handlers['index.progress']({})).state === 'indexing') busy.push(ms);
    }
    expect(busy.length, 'queries measured during bulk indexing').toBeGreaterThanOrEqual(10);
    const busyP95 = p95(busy);
    console.log(`text query p95: idle ${p95(idle).toFixed(1)} ms, during bulk indexing ${busyP95.toFixed(1)} ms (${busy.length} queries)`);
    expect(busyP95).toBeLessThan(P95_BOUND_MS);
    // The bulk lane really runs in its worker thread (no silent fallback to the main thread).
    expect((await svc.bulkLane())!.embedder.fallbackReason).toBeNull();

    const paused = await svc.handlers['index.pause']({});
    expect(paused.state).toBe('paused');
    // Once paused, at most the batch already in flight can still land (one batch): sampled over a
    // second, the count never passes that, whenever the in-flight batch happens to commit.
    const atPause = indexed();
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      expect(indexed()).toBeLessThanOrEqual(Math.min(N, atPause + BATCH));
    }
    expect((await svc.handlers['index.progress']({})).state).toBe('paused');

    const resumed = await svc.handlers['index.resume']({});
    expect(resumed.state).not.toBe('paused');
    await svc.whenIdle();
    off();
    expect(indexed()).toBe(N);
    const mid = progress.find((p) => p.state === 'indexing' && p.done > 0 && p.done < p.total);
    expect(mid).toBeDefined();
    expect(mid!.ratePerSec).toBeGreaterThan(0);
    expect(mid!.etaSec).not.toBeNull();
    expect(mid!.current).toMatch(/x\d+\.jpg$/);
    expect(progress.at(-1)).toMatchObject({ state: 'idle', total: N, done: N });
  });

  it('a bulk worker that dies mid-run loses nothing: a fresh one finishes the batch', async () => {
    const more = path.join(root, 'more');
    for (let i = 0; i < 24; i++) await writePhoto(path.join(more, `y${i}.jpg`), 900 + i, { width: 1200, height: 900 });
    const before = indexed();
    await svc.handlers['folders.add']({ path: more, exclude: [] });
    await waitFor(() => indexed() > before, 30_000, 'indexing of the second folder started');
    const lane = (await svc.bulkLane())!;
    expect(lane.embedder.fallbackReason).toBeNull();
    // Simulate a crash of the worker thread (as an out-of-memory kill would), mid-run.
    expect(indexed()).toBeLessThan(before + 24);
    await (lane.embedder as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect(lane.embedder.alive).toBe(false);
    await svc.whenIdle();
    expect(indexed()).toBe(before + 24);
    expect((await svc.handlers['photos.errors']({ offset: 0, limit: 10 })).total).toBe(0);
    expect((await svc.bulkLane())!.embedder.alive).toBe(true);
  });

  it('releases the idle bulk lane (its model copy) and reopens it for the next run', async () => {
    await svc.whenIdle();
    const old = (await svc.bulkLane())!.embedder;
    await svc.handlers['folders.rescan']({});
    await svc.whenIdle(); // a run with nothing to do ends idle too
    // The idle release frees the image tower (the model copy) and keeps the worker warm for a fast reopen
    await waitFor(() => !old.imageOpen, 10_000, 'idle bulk lane released its image tower');
    expect(old.alive).toBe(true);
    await writePhoto(path.join(lib, 'late.jpg'), 4321, { width: 64, height: 48 });
    await svc.handlers['folders.rescan']({});
    await svc.scansIdle();
    await svc.whenIdle();
    expect(svc.db.prepare(`SELECT status FROM photos WHERE path = ?`).pluck().get(path.join(lib, 'late.jpg'))).toBe('indexed');
    expect((await svc.bulkLane())!.embedder.alive).toBe(true);
    // the same warm worker, its image tower open again
    expect((await svc.bulkLane())!.embedder).toBe(old);
    expect(old.imageOpen).toBe(true);
  });

  it('switching the model re-embeds into that model\'s own tables and searches there', async () => {
    // A second pack: the same weights under another id (a different embedding space as far as
    // the store is concerned).
    const copy = path.join(root, 'pack-b');
    fs.cpSync(pack!, copy, { recursive: true });
    const m = JSON.parse(fs.readFileSync(path.join(copy, 'manifest.json'), 'utf8')) as { id: string; name: string };
    m.id = 'tiny-copy-b';
    m.name = 'tiny copy';
    fs.writeFileSync(path.join(copy, 'manifest.json'), JSON.stringify(m));
    await new ModelRegistry(svc.dataDir, emptyBundledDir(root)).install(copy);
    const album = await svc.handlers['albums.create']({ name: 'text album', query: { kind: 'text', text: 'red' }, rule: { kind: 'topN', n: 5 }, filters: {} });
    const before = (await svc.handlers['models.list']({})).map((x) => [x.id, x.active]);
    expect(before).toContainEqual(['tiny-copy-b', false]);

    const from = (await svc.handlers['status.get']({})).model!.id;
    const fromKey = svc.db.prepare('SELECT key FROM models WHERE id = ?').pluck().get(from) as number;
    const query = () => svc.handlers['search.text']({ text: 'red', offset: 0, limit: 5, filters: {} });
    const oldHits = (await query()).hits.map((h) => h.photo.id);
    // Paused, the background re-index holds still: what search answers meanwhile is deterministic.
    await svc.handlers['index.pause']({});
    const upgrades: { state: string; targetId: string; done: number; total: number }[] = [];
    const off = svc.onEvent((e) => {
      if (e.event === 'models.upgrade') upgrades.push(e.data as (typeof upgrades)[number]);
    });
    const info = await svc.handlers['models.activate']({ id: 'tiny-copy-b' });
    expect(info.active).toBe(false); // not yet: the library is re-embedded first
    await waitFor(async () => (await svc.handlers['models.upgrade']({}))?.total === N + 25, 30_000, 'upgrade counted the library');
    expect(await svc.handlers['models.upgrade']({})).toMatchObject({ state: 'paused', fromId: from, targetId: 'tiny-copy-b', done: 0, total: N + 25 });
    const during = await query();
    expect(during.modelId).toBe(from);
    expect(during.hits.map((h) => h.photo.id)).toEqual(oldHits);
    expect((await svc.handlers['status.get']({})).model?.id).toBe(from);
    // A settings change that reopens the lanes keeps search, the pause and the pending upgrade.
    const threads = (await svc.handlers['settings.get']({})).threads;
    await Promise.all([svc.handlers['settings.set']({ threads: threads === 1 ? 2 : 1 }), query(), query()]);
    const afterSettings = await query();
    expect(afterSettings.modelId).toBe(from);
    expect(afterSettings.hits.map((h) => h.photo.id)).toEqual(oldHits);
    expect((await svc.handlers['index.progress']({})).state).toBe('paused');
    expect(await svc.handlers['models.upgrade']({})).toMatchObject({ state: 'paused', targetId: 'tiny-copy-b', done: 0 });

    await svc.handlers['index.resume']({});
    await waitFor(async () => (await svc.handlers['status.get']({})).model?.id === 'tiny-copy-b', 60_000, 'switch once covered');
    off();
    expect(await svc.handlers['models.upgrade']({})).toBeNull();
    expect(upgrades.at(-1)).toMatchObject({ state: 'switched', targetId: 'tiny-copy-b', done: N + 25, total: N + 25 });
    expect(upgrades.some((u) => u.state === 'running' && u.done > 0 && u.done < N + 25), 'progress while re-embedding').toBe(true);
    expect((await svc.handlers['models.list']({})).find((x) => x.id === 'tiny-copy-b')?.active).toBe(true);
    await svc.whenIdle();
    const keys = svc.db.prepare('SELECT key, id FROM models ORDER BY key').all() as { key: number; id: string }[];
    // the previous model's vectors go once search has switched away from it
    expect(keys.map((k) => k.id)).toEqual(['tiny-copy-b']);
    expect(svc.db.prepare(`SELECT name FROM sqlite_master WHERE name IN ('vec_target_${fromKey}', 'vec_clip_${fromKey}')`).all()).toEqual([]);
    for (const k of keys) {
      for (const kind of ['clip', 'target']) expect((svc.db.prepare(`SELECT count(*) AS n FROM vec_${kind}_${k.key}`).get() as { n: number }).n, `${kind} ${k.id}`).toBe(N + 25);
    }
    expect(indexed()).toBe(N + 25);
    const r = await query();
    expect(r.modelId).toBe('tiny-copy-b');
    const a = await svc.handlers['albums.get']({ id: album.id, offset: 0, limit: 10 });
    expect(a.hits).toHaveLength(5);
    expect((await svc.handlers['status.get']({})).model?.id).toBe('tiny-copy-b');
  });
});
