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

/**
 * CLIP-like embeddings (what a real library holds, unlike uniform random directions): a dominant
 * direction shared by every vector (weight `common`, giving a mean pairwise cosine ≈ common²),
 * anisotropic spread (dimension j scaled by (1 + j)^-½, as embedding spectra decay), and tight
 * clusters of near-duplicates (members = centre + `spread` × noise: bursts, edits, re-saves).
 * Rows are unit length; cluster sizes average `clusterSize`.
 */
export function fillClusteredVectors(out: Float32Array, dim: number, seed: number, opts: { common?: number; clusterSize?: number; spread?: number } = {}): void {
  const common = opts.common ?? 0.7;
  const clusterSize = opts.clusterSize ?? 8;
  const spread = opts.spread ?? 0.15;
  const r = rng(seed);
  const n = out.length / dim;
  const dir = new Float32Array(dim);
  fillUnitVectors(dir, dim, seed + 17);
  const scale = Float32Array.from({ length: dim }, (_, j) => 1 / Math.sqrt(1 + j));
  const centre = new Float32Array(dim);
  const noise = new Float32Array(dim);
  const gauss = (buf: Float32Array) => {
    for (let j = 0; j < dim; j++) {
      const u1 = r() || 1e-12;
      buf[j] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r()) * (scale[j] as number);
    }
    unit(buf);
  };
  let left = 0;
  for (let v = 0; v < n; v++) {
    if (left-- <= 0) {
      gauss(centre);
      left = Math.floor(r() * 2 * clusterSize); // sizes 1 … 2×clusterSize, mean ≈ clusterSize
    }
    gauss(noise);
    const o = v * dim;
    for (let j = 0; j < dim; j++) out[o + j] = (centre[j] as number) + spread * (noise[j] as number);
    unit(out.subarray(o, o + dim));
    for (let j = 0; j < dim; j++) out[o + j] = common * (dir[j] as number) + Math.sqrt(1 - common * common) * (out[o + j] as number);
    unit(out.subarray(o, o + dim));
  }
}

/** Queries near stored vectors: row `src` plus noise, at cosine ≈ `cos` to it ("more like this photo"). */
export function queriesNear(data: Float32Array, dim: number, count: number, seed: number, cos = 0.9): Float32Array[] {
  const r = rng(seed);
  const n = data.length / dim;
  const noise = new Float32Array(count * dim);
  fillUnitVectors(noise, dim, seed + 1);
  const s = Math.sqrt(1 - cos * cos);
  return Array.from({ length: count }, (_, i) => {
    const src = Math.floor(r() * n);
    const q = new Float32Array(dim);
    for (let j = 0; j < dim; j++) q[j] = cos * (data[src * dim + j] as number) + s * (noise[i * dim + j] as number);
    return unit(q);
  });
}

function unit(v: Float32Array): Float32Array {
  let ss = 0;
  for (let j = 0; j < v.length; j++) ss += (v[j] as number) * (v[j] as number);
  const inv = 1 / Math.sqrt(ss || 1);
  for (let j = 0; j < v.length; j++) v[j] = (v[j] as number) * inv;
  return v;
}

/** Mean cosine over `pairs` random pairs of rows (a check that clustered data looks like CLIP's). */
export function meanPairwiseCosine(data: Float32Array, dim: number, pairs = 2000, seed = 5): number {
  const r = rng(seed);
  const n = data.length / dim;
  let sum = 0;
  for (let p = 0; p < pairs; p++) {
    const a = Math.floor(r() * n) * dim;
    const b = Math.floor(r() * n) * dim;
    let d = 0;
    for (let j = 0; j < dim; j++) d += (data[a + j] as number) * (data[b + j] as number);
    sum += d;
  }
  return sum / pairs;
}
