// The image tower's batch size, measured on the running machine instead of a constant: the best batch
// depends on the CPU's caches, the core count, the precision (measured on one 2-core machine: float32
// ran 7.8-8.1 img/s at batch 1 and 7.3 at batch 8, while the int8 twin ran 2.0× faster at batch 1 and
// 2.9× at batch 8). Probed once when the bulk lane first opens (the same 8 synthetic images at each
// candidate batch, after a warm-up run of that shape) and cached in the data folder per machine,
// model graph, precision and thread count; a cached answer is reused at every later open. The intra-op
// thread count is measured the same way (probeImageThreads), before the batch, in its own cache file.
import fs from 'node:fs';
import os from 'node:os';
import type { MagicLensRuntime } from '../model/runtime.js';

export const BATCH_CANDIDATES = [1, 4, 8] as const;
const IMAGES = 8;

/** `load`: the 1-minute load average while it was measured (absent in answers cached before it was kept). */
export interface BatchProbe { batch: number; msPerImage: Record<string, number>; at: string; load?: number }

export function probeKey(rt: MagicLensRuntime, graphSha: string, threads: number): string {
  return [os.cpus()[0]?.model ?? 'cpu', os.availableParallelism(), rt.provider, rt.imagePrecision, graphSha.slice(0, 16), threads].join('|');
}

/** `n` synthetic S×S images (NHWC, in the normalised range) that every probe times the tower on. */
export function syntheticImages(n: number, S: number): Float32Array {
  return new Float32Array(n * S * S * 3).map((_, i) => Math.sin(i * 0.37) * 1.5);
}

/** A probe cache file (key → answer); a missing or unreadable one is empty. */
export function readCache<T>(file: string): Record<string, T> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, T>;
  } catch {
    return {};
  }
}

/** Adds one answer to a probe cache file (temp name + rename); an unwritable data folder only means probing again next time. */
export function remember<T>(file: string, key: string, entry: T): void {
  try {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...readCache<T>(file), [key]: entry }, null, 1) + '\n');
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    /* probed again next time */
  }
}

/** The candidate with the fewest milliseconds per image. */
function fastest(msPerImage: Record<string, number>): number {
  return Number(Object.entries(msPerImage).sort((a, b) => a[1] - b[1])[0]![0]);
}

/** Sets rt.imageBatch to the cached or freshly measured best batch and returns the probe. */
export async function probeImageBatch(rt: MagicLensRuntime, file: string, key: string, loadAvg: () => number = () => os.loadavg()[0] ?? 0): Promise<BatchProbe & { cached: boolean }> {
  const cache = readCache<BatchProbe>(file);
  const hit = cache[key];
  // like the thread count: an answer from an oversubscribed moment is measured again at a quiet open
  if (hit && BATCH_CANDIDATES.includes(hit.batch as 1 | 4 | 8) && reusable(hit, loadAvg())) {
    rt.imageBatch = hit.batch;
    return { ...hit, cached: true };
  }
  const S = rt.imageSize;
  const px = syntheticImages(IMAGES, S);
  const msPerImage: Record<string, number> = {};
  for (const b of BATCH_CANDIDATES) {
    rt.imageBatch = b;
    await rt.embedImages(px.subarray(0, b * S * S * 3), b); // warm-up: ORT plans each new shape once
    const t = performance.now();
    await rt.embedImages(px, IMAGES);
    msPerImage[b] = (performance.now() - t) / IMAGES;
  }
  const batch = fastest(msPerImage);
  rt.imageBatch = batch;
  const probe: BatchProbe = { batch, msPerImage, at: new Date().toISOString(), load: loadAvg() };
  remember(file, key, probe);
  return { ...probe, cached: false };
}

/**
 * ORT's intra-op thread count for the image tower, measured like the batch: the most threads is not
 * always the fastest (a second thread on a busy or hyper-threaded core can cost more in synchronisation
 * than it gives). Candidates 1, half and all of `max`.
 */
export function threadCandidates(max: number): number[] {
  const m = Math.max(1, Math.floor(max));
  return [...new Set([1, Math.ceil(m / 2), m])].sort((a, b) => a - b);
}

/** `load`: the 1-minute load average while it was measured (0 where the OS has none). */
export interface ThreadProbe { threads: number; msPerImage: Record<string, number>; at: string; load?: number }

const busy = (load: number) => load > os.availableParallelism();

/**
 * An answer measured while other work oversubscribed the cores (load above the core count) says more
 * about that moment than about the machine (measured at load 10-12 on 2 cores: 1 thread 1.6 s/img, 2
 * threads 1.9 s/img): it is used until an open at a quiet moment measures again.
 */
export function reusable(p: { load?: number }, loadNow: number): boolean {
  return !busy(p.load ?? 0) || busy(loadNow);
}

export function threadProbeKey(provider: string, precision: string, graphSha: string, max: number): string {
  return [os.cpus()[0]?.model ?? 'cpu', os.availableParallelism(), provider, precision, graphSha.slice(0, 16), `max${max}`].join('|');
}

/**
 * The fastest thread count for the image tower (cached in `file` under `key`): each candidate's runtime
 * is opened by `open` (image tower only), timed on the same 8 synthetic images at batch 4 after a warm-up
 * run, and closed.
 */
export async function probeImageThreads(open: (threads: number) => Promise<MagicLensRuntime>, file: string, key: string, max: number, loadAvg: () => number = () => os.loadavg()[0] ?? 0): Promise<ThreadProbe & { cached: boolean }> {
  const cache = readCache<ThreadProbe>(file);
  const hit = cache[key];
  if (hit && threadCandidates(max).includes(hit.threads) && reusable(hit, loadAvg())) return { ...hit, cached: true };
  const msPerImage: Record<string, number> = {};
  for (const t of threadCandidates(max)) {
    const rt = await open(t);
    try {
      const S = rt.imageSize;
      const px = syntheticImages(IMAGES, S);
      rt.imageBatch = 4;
      await rt.embedImages(px.subarray(0, 4 * S * S * 3), 4); // warm-up
      const t0 = performance.now();
      await rt.embedImages(px, IMAGES);
      msPerImage[t] = (performance.now() - t0) / IMAGES;
    } finally {
      await rt.close();
    }
  }
  const threads = fastest(msPerImage);
  const probe: ThreadProbe = { threads, msPerImage, at: new Date().toISOString(), load: loadAvg() };
  remember(file, key, probe);
  return { ...probe, cached: false };
}

