// Image-tower sessions side by side. One session with all the threads is not always the fastest way to
// push photos through the tower: its threads meet at every operator, and on this 2-core machine the
// second thread bought only 1.75× (374 ms per image with 1 thread, 213 with 2). Two sessions of one
// thread each ran 4.89–5.00 img/s through the lane against 4.06–4.56 for one 2-thread session in the
// same minutes (batch 8 of synthetic pixels). Whether that holds is measured on the running machine
// when the lane first opens (comparePool: the two arrangements timed alternately, cached like the
// thread and batch probes). Each session holds its own copy of the image tower, so the pool is capped
// by memory.
import os from 'node:os';
import { syntheticImages } from './batch-probe.js';
import type { Embedder } from './embedder.js';

/** The pool is taken when it is at least this much faster per image than the single session. */
export const POOL_MARGIN = 1.05;
/** The image towers of all sessions together stay under this (a base fp32 tower is ~330 MB). */
export const POOL_MEMORY_BYTES = 1.5 * 2 ** 30;

export interface PoolPlan {
  sessions: number;
  threads: number;
}

/**
 * As many sessions as threads (one thread each), or fewer with more threads each when the towers
 * would not fit in POOL_MEMORY_BYTES; null when fewer than 2 fit or there is one thread.
 */
export function poolPlan(threads: number, towerBytes: number): PoolPlan | null {
  const t = Math.floor(threads);
  const sessions = Math.min(t, Math.floor(POOL_MEMORY_BYTES / Math.max(1, towerBytes)));
  return sessions >= 2 ? { sessions, threads: Math.floor(t / sessions) } : null;
}

/** `load`: the 1-minute load average while it was measured. */
export interface PoolProbe { pool: boolean; singleMs: number; poolMs: number; sessions: number; at: string; load: number }

/**
 * Times `n` synthetic images through each arrangement, alternately, `rounds` times after one warm-up
 * each; the best ms per image of each (the machine's speed drifts by 10–20 % within minutes here, so
 * alternating and taking the best compares like with like).
 */
export async function comparePool(single: Embedder, pool: Embedder, imageSize: number, n = 8, rounds = 2): Promise<Omit<PoolProbe, 'sessions' | 'at'>> {
  const px = syntheticImages(n, imageSize);
  const time = async (e: Embedder) => {
    const t = performance.now();
    await e.embed(px.slice(), n); // a copy: the lane takes its pixels by transfer
    return (performance.now() - t) / n;
  };
  await time(single);
  await time(pool);
  let singleMs = Infinity;
  let poolMs = Infinity;
  for (let r = 0; r < rounds; r++) {
    singleMs = Math.min(singleMs, await time(single));
    poolMs = Math.min(poolMs, await time(pool));
  }
  return { pool: poolMs * POOL_MARGIN <= singleMs, singleMs, poolMs, load: os.loadavg()[0] ?? 0 };
}

/**
 * Shares each batch among the members as a queue of small parts (`part` images, the members' own
 * batch): a member that finishes takes the next part, so one slower member (a decode on its core)
 * holds back at most one part, not half the batch. Results come back in input order.
 */
export class PooledEmbedder implements Embedder {
  readonly fallbackReason = null;

  constructor(
    private readonly members: Embedder[],
    private readonly part = 1,
  ) {
    if (members.length === 0) throw new Error('a lane pool needs at least one member');
  }

  get modelId() {
    return this.members[0]!.modelId;
  }
  get dim() {
    return this.members[0]!.dim;
  }
  get provider() {
    return this.members[0]!.provider;
  }
  get sessions(): number {
    return this.members.length;
  }
  get imageOpen(): boolean {
    return this.members.every((m) => m.imageOpen);
  }
  get alive(): boolean {
    return this.members.every((m) => m.alive);
  }

  async embed(pixels: Float32Array, n: number): Promise<{ clip: Float32Array; target: Float32Array }> {
    const per = pixels.length / n;
    const D = this.dim;
    const clip = new Float32Array(n * D);
    const target = new Float32Array(n * D);
    const part = Math.max(1, Math.floor(this.part));
    let next = 0;
    const work = async (m: Embedder) => {
      while (next < n) {
        const i = next;
        const k = Math.min(part, n - i);
        next += k;
        // a copy per part: the member's worker takes its pixels by transfer
        const r = await m.embed(pixels.slice(i * per, (i + k) * per), k);
        clip.set(r.clip, i * D);
        target.set(r.target, i * D);
      }
    };
    await Promise.all(this.members.map(work));
    return { clip, target };
  }

  async idle(): Promise<void> {
    await Promise.all(this.members.map((m) => m.idle()));
  }

  async wake(): Promise<void> {
    await Promise.all(this.members.map((m) => m.wake()));
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.close()));
  }
}
