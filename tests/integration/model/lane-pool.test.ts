// Image-tower sessions side by side (app/index/lane-pool.ts; real worker threads, real ONNX Runtime,
// tiny pack): the pool returns each photo's vectors in input order, the same as one session; idle,
// wake and close reach every member; and the lane follows the pool probe it measured and cached.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBulkLane } from '../../../app/index/bulk-lane.js';
import { POOL_MARGIN, poolPlan, POOL_MEMORY_BYTES, PooledEmbedder, type PoolProbe } from '../../../app/index/lane-pool.js';
import { loadPack } from '../../../app/model/pack.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const dir = await tinyPackDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-lane-pool-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pixels(S: number, n: number, seed: number): Float32Array {
  return new Float32Array(n * S * S * 3).map((_, i) => Math.sin(i * 0.37 + seed));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
}

describe('poolPlan', () => {
  it('one session per thread, fewer with more threads each when memory caps them, none below two', () => {
    expect(poolPlan(2, 330e6)).toEqual({ sessions: 2, threads: 1 });
    expect(poolPlan(8, 330e6)).toEqual({ sessions: 4, threads: 2 }); // 4 × 330 MB fit in 1.5 GiB, 8 do not
    expect(poolPlan(8, POOL_MEMORY_BYTES / 2)).toEqual({ sessions: 2, threads: 4 });
    expect(poolPlan(8, 1.2e9)).toBeNull(); // a large fp32 tower: no second copy
    expect(poolPlan(1, 1e6)).toBeNull();
  });
});

describe.skipIf(!dir)('lane pool', () => {
  it('returns the same vectors as one session, in input order, for a batch that does not split evenly', async () => {
    const pack = await loadPack(dir!);
    const S = pack.manifest.image.size;
    const single = await openBulkLane(pack, { threads: 1, providers: ['cpu'], imageBatch: 1 });
    const pool = await openBulkLane(pack, { threads: 1, providers: ['cpu'], imageBatch: 1, plan: { sessions: 2, threads: 1 } });
    try {
      expect(pool).toBeInstanceOf(PooledEmbedder);
      expect((pool as PooledEmbedder).sessions).toBe(2);
      const px = pixels(S, 5, 4);
      const a = await single.embed(px.slice(), 5);
      const b = await pool.embed(px.slice(), 5);
      expect(maxAbsDiff(a.clip, b.clip)).toBeLessThan(1e-6);
      expect(maxAbsDiff(a.target, b.target)).toBeLessThan(1e-6);
      // photo 3 alone gives photo 3's row of the batch (order kept)
      const D = pack.manifest.architecture.embedDim;
      const one = await single.embed(px.slice(3 * S * S * 3, 4 * S * S * 3), 1);
      expect(maxAbsDiff(one.clip, b.clip.subarray(3 * D, 4 * D))).toBeLessThan(1e-6);

      await pool.idle();
      expect(pool.imageOpen).toBe(false);
      await pool.wake();
      expect(pool.imageOpen).toBe(true);
      expect(pool.alive).toBe(true);
    } finally {
      await single.close();
      await pool.close();
    }
    expect(pool.alive).toBe(false); // every member's worker has exited
  });

  it('measures the pool against one session at the first open, caches the answer, and follows it', async () => {
    const pack = await loadPack(dir!);
    const data = path.join(tmp, 'probe');
    fs.mkdirSync(data, { recursive: true });
    const probeFile = path.join(data, 'batch-probe.json');
    const poolFile = path.join(data, 'pool-probe.json');
    const open = () => openBulkLane(pack, { threads: 2, providers: ['cpu'], probeFile });

    const first = await open();
    const cache = JSON.parse(fs.readFileSync(poolFile, 'utf8')) as Record<string, PoolProbe>;
    const [key, probe] = Object.entries(cache)[0]!;
    expect(probe.sessions).toBe(2);
    expect(probe.singleMs).toBeGreaterThan(0);
    expect(probe.poolMs).toBeGreaterThan(0);
    expect(probe.pool).toBe(probe.poolMs * POOL_MARGIN <= probe.singleMs);
    expect(first instanceof PooledEmbedder).toBe(probe.pool);
    await first.close();

    // a cached answer is followed without measuring again, either way
    for (const pool of [true, false]) {
      fs.writeFileSync(poolFile, JSON.stringify({ [key]: { ...probe, pool, singleMs: 12345, load: 0 } }));
      const lane = await open();
      try {
        expect(lane instanceof PooledEmbedder).toBe(pool);
        expect((await lane.embed(pixels(pack.manifest.image.size, 3, 1), 3)).clip).toHaveLength(3 * pack.manifest.architecture.embedDim);
      } finally {
        await lane.close();
      }
      expect(JSON.parse(fs.readFileSync(poolFile, 'utf8'))[key]).toMatchObject({ pool, singleMs: 12345 }); // not measured again
    }
  });
});
