// The bulk lane's image batch is measured on the running machine (app/index/batch-probe.ts), not a
// constant: the probe times each candidate batch on the real ORT session, keeps the fastest per image,
// caches the answer in the data folder, and a later open reuses it without measuring again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_CANDIDATES, probeImageBatch, probeImageThreads, probeKey, threadCandidates, threadProbeKey } from '../../../app/index/batch-probe.js';
import { loadPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { BUNDLED_PACKS_DIR } from '../../../app/paths.js';
import { createService } from '../../../app/service.js';
import { tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-probe-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('image batch chosen by measurement', () => {
  it('measures every candidate, keeps the fastest, and reuses the cached answer', { timeout: 60_000 }, async () => {
    const pack = await loadPack(path.join(BUNDLED_PACKS_DIR, 'demo'), { verifyHashes: false });
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], threads: 2, imageTower: 'eager', warmup: false });
    try {
      const file = path.join(root, 'probe.json');
      const key = probeKey(rt, pack.manifest.files['image.onnx']!.sha256, 2);
      const p = await probeImageBatch(rt, file, key, () => 0);
      expect(p.cached).toBe(false);
      expect(Object.keys(p.msPerImage).map(Number)).toEqual([...BATCH_CANDIDATES]);
      const fastest = Math.min(...Object.values(p.msPerImage));
      expect(p.msPerImage[p.batch]).toBe(fastest);
      expect(rt.imageBatch).toBe(p.batch);
      rt.imageBatch = 99;
      const again = await probeImageBatch(rt, file, key, () => 0);
      expect([again.cached, again.batch, rt.imageBatch]).toEqual([true, p.batch, p.batch]);
      // another thread count is another measurement
      expect((await probeImageBatch(rt, file, probeKey(rt, pack.manifest.files['image.onnx']!.sha256, 1), () => 0)).cached).toBe(false);
      expect(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')) as object)).toHaveLength(2);
      // measured with the cores oversubscribed: reused while they still are, measured again when quiet
      const busy = () => os.availableParallelism() + 8;
      const k3 = probeKey(rt, 'another-graph', 2);
      expect((await probeImageBatch(rt, file, k3, busy)).load).toBe(busy());
      expect((await probeImageBatch(rt, file, k3, busy)).cached).toBe(true);
      expect((await probeImageBatch(rt, file, k3, () => 0)).cached).toBe(false);
    } finally {
      await rt.close();
    }
  });

  it('the intra-op thread count is measured too: every candidate timed, the fastest kept, the answer cached', { timeout: 60_000 }, async () => {
    expect(threadCandidates(1)).toEqual([1]);
    expect(threadCandidates(2)).toEqual([1, 2]);
    expect(threadCandidates(8)).toEqual([1, 4, 8]);
    const pack = await loadPack(path.join(BUNDLED_PACKS_DIR, 'demo'), { verifyHashes: false });
    const opened: number[] = [];
    const open = (threads: number) => {
      opened.push(threads);
      return MagicLensRuntime.open(pack, { providers: ['cpu'], threads, imageTower: 'eager', warmup: false, emptyText: new Float32Array(pack.manifest.architecture.embedDim) });
    };
    const file = path.join(root, 'threads.json');
    const key = threadProbeKey('cpu', 'fp32', pack.manifest.files['image.onnx']!.sha256, 2);
    const p = await probeImageThreads(open, file, key, 2, () => 0);
    expect(p.cached).toBe(false);
    expect(opened).toEqual([1, 2]);
    expect(Object.keys(p.msPerImage).map(Number)).toEqual([1, 2]);
    expect(p.msPerImage[p.threads]).toBe(Math.min(...Object.values(p.msPerImage)));
    const again = await probeImageThreads(open, file, key, 2, () => 0);
    expect([again.cached, again.threads, opened.length]).toEqual([true, p.threads, 2]);
    // a different maximum is another question
    expect((await probeImageThreads(open, file, threadProbeKey('cpu', 'fp32', pack.manifest.files['image.onnx']!.sha256, 1), 1)).threads).toBe(1);
    expect(opened).toEqual([1, 2, 1]);
    // an answer measured while the cores were oversubscribed is reused while they still are, and measured
    // again at the first quiet open
    const busy = () => os.availableParallelism() + 8, quiet = () => 0;
    const key2 = threadProbeKey('cpu', 'fp32', 'another-graph', 2);
    expect((await probeImageThreads(open, file, key2, 2, busy)).load).toBe(busy());
    expect((await probeImageThreads(open, file, key2, 2, busy)).cached).toBe(true);
    expect((await probeImageThreads(open, file, key2, 2, quiet)).cached).toBe(false);
    expect((await probeImageThreads(open, file, key2, 2, quiet)).cached).toBe(true);
    expect(opened).toEqual([1, 2, 1, 1, 2, 1, 2]);
  });

  it('the service\'s bulk lane probes once and caches the answer in the data folder', { timeout: 120_000 }, async () => {
    const dataDir = path.join(root, 'data');
    const lib = path.join(root, 'lib');
    fs.mkdirSync(lib, { recursive: true });
    const samples = path.join(BUNDLED_PACKS_DIR, '..', 'samples', 'photos');
    for (const f of fs.readdirSync(samples).sort().slice(0, 3)) fs.copyFileSync(path.join(samples, f), path.join(lib, f));
    const svc = await createService({ dataDir, watch: false, threads: 2 });
    try {
      await svc.handlers['folders.add']({ path: lib, exclude: [] });
      await svc.whenIdle();
      expect((await svc.handlers['status.get']({})).photos.indexed).toBe(3);
    } finally {
      await svc.close();
    }
    const cache = JSON.parse(fs.readFileSync(path.join(dataDir, 'int8', 'batch-probe.json'), 'utf8')) as Record<string, { batch: number }>;
    // one answer for the lane's session; a second when its pool of one-thread sessions was tried (its
    // first member measures its own batch: app/index/lane-pool.ts), unless the session had one thread too
    const entries = Object.values(cache);
    const pool = Object.values(JSON.parse(fs.readFileSync(path.join(dataDir, 'int8', 'pool-probe.json'), 'utf8')) as Record<string, { sessions: number }>);
    expect(pool).toEqual([expect.objectContaining({ sessions: 2 })]);
    expect(entries.length === 1 || entries.length === 2).toBe(true);
    for (const e of entries) expect(BATCH_CANDIDATES).toContain(e.batch);
    // and the thread count, before the batch (in its own file)
    const threads = Object.values(JSON.parse(fs.readFileSync(path.join(dataDir, 'int8', 'thread-probe.json'), 'utf8')) as Record<string, { threads: number }>);
    expect(threads).toHaveLength(1);
    expect(threadCandidates(2)).toContain(threads[0]!.threads);
  });
});
