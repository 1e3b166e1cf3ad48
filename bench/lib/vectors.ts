// Seeded random unit vectors (the store benchmark's data), the exact scan, and a memory-bandwidth probe.
import { topKByDot } from '../eval/rank.js';

/** mulberry32: tiny seeded PRNG so every run scans the same vectors. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `out` (n×dim) with Gaussian vectors normalised to unit length: uniform directions on the sphere. */
export function fillUnitVectors(out: Float32Array, dim: number, seed: number): void {
  const r = rng(seed);
  const n = out.length / dim;
  for (let v = 0; v < n; v++) {
    const o = v * dim;
    let ss = 0;
    for (let j = 0; j < dim; j += 2) {
      // Box–Muller gives two normals per pair of uniforms
      const u1 = r() || 1e-12;
      const u2 = r();
      const m = Math.sqrt(-2 * Math.log(u1));
      const a = m * Math.cos(2 * Math.PI * u2);
      const b = m * Math.sin(2 * Math.PI * u2);
      out[o + j] = a;
      if (j + 1 < dim) out[o + j + 1] = b;
      ss += a * a + (j + 1 < dim ? b * b : 0);
    }
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < dim; j++) out[o + j] = (out[o + j] as number) * inv;
  }
}

/** Exact top-k by dot product (= cosine for unit vectors): the "plain scan" the store is compared to. */
export function bruteForceTopK(data: Float32Array, dim: number, q: Float32Array, k: number, n = data.length / dim): Int32Array {
  return topKByDot(data, dim, q, k, n);
}

/** Memory read bandwidth in GB/s: the best of a few sums over a large Float64Array (a scan's hard ceiling). */
export function measureReadBandwidth(bytes = 512 * 2 ** 20, reps = 5): { jsSumGBs: number; memcpyGBs: number } {
  const a = new Float64Array(bytes / 8);
  for (let i = 0; i < a.length; i += 512) a[i] = i; // touch every page
  a.fill(1.5);
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < a.length; i += 4) { s0 += a[i] as number; s1 += a[i + 1] as number; s2 += a[i + 2] as number; s3 += a[i + 3] as number; }
    sink += s0 + s1 + s2 + s3;
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  // memcpy (libc, vectorised) reads and writes each byte once: count both directions
  const src = Buffer.from(a.buffer);
  const dst = Buffer.allocUnsafe(src.length);
  dst.fill(0);
  let bestCopy = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    src.copy(dst);
    bestCopy = Math.min(bestCopy, Number(process.hrtime.bigint() - t) / 1e9);
  }
  if (sink === 42) console.log(''); // keep the sums alive
  return { jsSumGBs: bytes / best / 1e9, memcpyGBs: (2 * bytes) / bestCopy / 1e9 };
}
