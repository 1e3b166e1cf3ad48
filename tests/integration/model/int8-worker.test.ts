// The int8 build and self-check run in a one-shot worker thread (app/index/precision.ts, real ORT, the
// bundled demo pack and sample photos): text queries on this thread keep answering while they run.
// Measured on 2 cores at load 5-6.5: in the worker, queries answered in at most 11-132 ms (the worst with
// other test files running alongside) and this thread was busy 10-15 % of the time (the queries
// themselves); the same job run on this thread kept it busy 90 %, queries waiting up to 139-181 ms (the
// demo pack is small: a base pack's check is ~25 s of work, its stalls seconds). Bounds: 250 ms per query
// (~2× the worst measured) and 50 % busy (~3.5× the measured; the job on this thread fails it).
import fs from 'node:fs';
import path from 'node:path';
import { performance as nodePerformance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseImagePrecision, runInt8Job, SAMPLE_PHOTOS_DIR } from '../../../app/index/precision.js';
import { buildInt8AfterInstall, ensureInt8Graph, findInt8Graph } from '../../../app/model/int8.js';
import { loadPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { readSelfCheck } from '../../../app/model/selfcheck.js';
import { BUNDLED_PACKS_DIR } from '../../../app/paths.js';
import { tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-int8-worker-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const demoDir = path.join(BUNDLED_PACKS_DIR, 'demo');
const samples = fs.readdirSync(SAMPLE_PHOTOS_DIR).sort().map((f) => path.join(SAMPLE_PHOTOS_DIR, f));
const BOUND_MS = 250;
const BUSY_BOUND = 0.5;

describe('int8 preparation off the service thread', () => {
  it('text queries answer within the bound while the int8 graph is built and self-checked', { timeout: 120_000 }, async () => {
    const pack = await loadPack(demoDir, { verifyHashes: false });
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], threads: 1 });
    const dataDir = path.join(root, 'a');
    try {
      await rt.embedText('a warm-up query');
      let done = false;
      const t0 = performance.now();
      const elu0 = nodePerformance.eventLoopUtilization();
      const choice = chooseImagePrecision(pack, { dataDir, setting: 'auto', hasVectors: false, photoPaths: () => samples }).finally(() => { done = true; });
      const latencies: number[] = [];
      let i = 0;
      while (!done) {
        const t = performance.now();
        const e = await rt.embedText(`a photo number ${i++} at night`);
        latencies.push(performance.now() - t);
        expect(e).toHaveLength(rt.dim);
        await new Promise((r) => setTimeout(r, 20));
      }
      const c = await choice;
      const ms = performance.now() - t0;
      // the share of the time this thread was busy (queries included): the job itself must not be here
      const elu = nodePerformance.eventLoopUtilization(elu0).utilization;
      console.log(`int8 build + self-check ${ms.toFixed(0)} ms in the worker; ${latencies.length} text queries meanwhile, max ${Math.max(...latencies).toFixed(1)} ms; this thread busy ${(elu * 100).toFixed(0)} %`);
      // it really ran (a verdict on 64 photos was written) and queries kept coming all along
      const graph = findInt8Graph(pack, dataDir)!;
      expect(readSelfCheck(dataDir, graph)?.photos).toBe(64);
      expect(c.precision).toBe('int8');
      expect(latencies.length).toBeGreaterThanOrEqual(10);
      expect(Math.max(...latencies)).toBeLessThan(BOUND_MS);
      expect(elu).toBeLessThan(BUSY_BOUND);
    } finally {
      await rt.close();
    }
  });

  it('a failed build is reported as such and keeps float32', { timeout: 60_000 }, async () => {
    const pack = await loadPack(demoDir, { verifyHashes: false });
    // a data folder that cannot be written: the int8 graph cannot be built there
    const blocked = path.join(root, 'blocked');
    fs.writeFileSync(blocked, 'a file where the data folder should be');
    await expect(runInt8Job(pack, { packDir: pack.dir, dataDir: blocked })).rejects.toMatchObject({ stage: 'build' });
    const c = await chooseImagePrecision(pack, { dataDir: path.join(root, 'blocked', 'x'), setting: 'int8', hasVectors: false }).catch((e: Error) => e);
    // the pin cannot be written either: an error, never int8 from a graph that does not exist
    expect(c instanceof Error || c.precision === 'fp32').toBe(true);
  });

  it('the install hook builds the int8 graph in a worker: it returns at once, the same graph appears after', { timeout: 60_000 }, async () => {
    const pack = await loadPack(demoDir, { verifyHashes: false });
    const dataDir = path.join(root, 'hook');
    expect(buildInt8AfterInstall(pack, dataDir)).toBeNull();
    expect(findInt8Graph(pack, dataDir)).toBeNull(); // the worker has not even started yet
    const end = Date.now() + 50_000;
    while (!findInt8Graph(pack, dataDir) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const built = findInt8Graph(pack, dataDir);
    expect(built).not.toBeNull();
    expect(built!.sha256).toBe(ensureInt8Graph(pack, path.join(root, 'hook-ref')).sha256);
    // nothing half-written left behind
    expect(fs.readdirSync(path.join(dataDir, 'int8')).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });
});
