// The image tower (+ fusion head) through the app's own bulk lane, with fed-in pixels and no decoding:
// one worker with all the threads, or sessions side by side (app/index/lane-pool.ts). The ceiling an
// indexing run is compared with must include the pool when the pool is faster.
import { syntheticImages } from '../../app/index/batch-probe.js';
import { openBulkLane } from '../../app/index/bulk-lane.js';
import type { PoolPlan } from '../../app/index/lane-pool.js';
import { loadPack } from '../../app/model/pack.js';

export interface LaneRate { label: string; imagesPerSec: number; batches: number }

/** Images per second over ~`seconds` of back-to-back batches of `batch` (after one warm-up batch). */
export async function laneThroughput(packDir: string, opts: { threads: number; plan: PoolPlan | null; batch: number; seconds: number }): Promise<LaneRate> {
  const pack = await loadPack(packDir, { verifyHashes: false });
  const S = pack.manifest.image.size;
  const lane = await openBulkLane(pack, {
    threads: opts.plan ? opts.plan.threads : opts.threads,
    providers: ['cpu'],
    imageBatch: opts.plan ? 1 : opts.batch,
    ...(opts.plan ? { plan: opts.plan } : {}),
  });
  try {
    const base = syntheticImages(opts.batch, S);
    const make = () => base.slice();
    await lane.embed(make(), opts.batch);
    let n = 0;
    let batches = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < opts.seconds * 1000) {
      await lane.embed(make(), opts.batch); // a fresh array each time: the lane takes it by transfer
      n += opts.batch;
      batches++;
    }
    const label = opts.plan ? `${opts.plan.sessions} sessions × ${opts.plan.threads} thread(s)` : `1 session × ${opts.threads} threads`;
    return { label, imagesPerSec: (n * 1000) / (performance.now() - t0), batches };
  } finally {
    await lane.close();
  }
}
