// The image tower's batch size, measured on the running machine instead of a constant: the best batch
// depends on the CPU's caches, the core count, the precision (measured on one 2-core machine: float32
// ran 7.8-8.1 img/s at batch 1 and 7.3 at batch 8, while the int8 twin ran 2.0× faster at batch 1 and
// 2.9× at batch 8). Probed once when the bulk lane first opens (the same 8 synthetic images at each
// candidate batch, after a warm-up run of that shape) and cached in the data folder per machine,
// model graph, precision and thread count; a cached answer is reused at every later open.
import fs from 'node:fs';
import os from 'node:os';
import type { MagicLensRuntime } from '../model/runtime.js';

export const BATCH_CANDIDATES = [1, 4, 8] as const;
const IMAGES = 8;

export interface BatchProbe { batch: number; msPerImage: Record<string, number>; at: string }

export function probeKey(rt: MagicLensRuntime, graphSha: string, threads: number): string {
  return [os.cpus()[0]?.model ?? 'cpu', os.availableParallelism(), rt.provider, rt.imagePrecision, graphSha.slice(0, 16), threads].join('|');
}

function readCache(file: string): Record<string, BatchProbe> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, BatchProbe>;
  } catch {
    return {};
  }
}

/** Sets rt.imageBatch to the cached or freshly measured best batch and returns the probe. */
export async function probeImageBatch(rt: MagicLensRuntime, file: string, key: string): Promise<BatchProbe & { cached: boolean }> {
  const cache = readCache(file);
  const hit = cache[key];
  if (hit && BATCH_CANDIDATES.includes(hit.batch as 1 | 4 | 8)) {
    rt.imageBatch = hit.batch;
    return { ...hit, cached: true };
  }
  const S = rt.imageSize;
  const px = new Float32Array(IMAGES * S * S * 3).map((_, i) => Math.sin(i * 0.37) * 1.5);
  const msPerImage: Record<string, number> = {};
  for (const b of BATCH_CANDIDATES) {
    rt.imageBatch = b;
    await rt.embedImages(px.subarray(0, b * S * S * 3), b); // warm-up: ORT plans each new shape once
    const t = performance.now();
    await rt.embedImages(px, IMAGES);
    msPerImage[b] = (performance.now() - t) / IMAGES;
  }
  const batch = Number(Object.entries(msPerImage).sort((a, b) => a[1] - b[1])[0]![0]);
  rt.imageBatch = batch;
  const probe: BatchProbe = { batch, msPerImage, at: new Date().toISOString() };
  try {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify({ ...readCache(file), [key]: probe }, null, 1) + '\n');
    fs.renameSync(`${file}.tmp`, file);
  } catch {
    /* an unwritable data folder only means probing again next time */
  }
  return { ...probe, cached: false };
}
