// How far the index pass's JPEG shrink-on-load decode moves the model input and the embedding from the
// exact official pipeline (full-resolution decode, per-image maximum over every pixel, jax bilinear+AA
// resize): max-abs of the input (normalised units) and cosine of the image-tower embedding, per photo.
// Used by bench:perf (base-shape pack) and tests/unit/media/shrink-on-load.test.ts (tiny golden pack).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { preprocessImage, specFromManifest } from '../../app/media/preprocess.js';
import { loadPack } from '../../app/model/pack.js';
import { MagicLensRuntime } from '../../app/model/runtime.js';

export interface FidelityRow { name: string; inputMaxAbs: number; cosine: number }

/**
 * 12-MP JPEGs that look like photos: real 224-px photos (the fashion set) upscaled to 4000×3000 with a
 * little per-pixel sensor noise on top (so the full-resolution pixels hold detail a reduced decode
 * averages away), plus one of pure upscaled noise (the worst case for the per-image maximum).
 */
export async function photoLikeJpegs(sources: string[], outDir: string): Promise<string[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const out: string[] = [];
  for (const [i, src] of sources.entries()) {
    const f = path.join(outDir, `photo-${i}.jpg`);
    if (!fs.existsSync(f)) {
      const up = await sharp(src).resize(4000, 3000, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
      let s = 1 + i;
      for (let j = 0; j < up.length; j++) {
        s = (s * 1103515245 + 12345) >>> 0;
        up[j] = Math.max(0, Math.min(255, up[j]! + ((s >>> 16) % 13) - 6));
      }
      await sharp(up, { raw: { width: 4000, height: 3000, channels: 3 } }).jpeg({ quality: 90 }).toFile(f);
    }
    out.push(f);
  }
  return out;
}

function compare(a: Float32Array, b: Float32Array): { maxAbs: number; cosine: number } {
  let maxAbs = 0, dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    dot += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!;
  }
  return { maxAbs, cosine: dot / Math.sqrt(na * nb) };
}

/** Per photo: the shrink-on-load input against the exact one, and their image-tower embeddings. */
export async function shrinkFidelity(packDir: string, files: string[]): Promise<FidelityRow[]> {
  const pack = await loadPack(packDir, { verifyHashes: false });
  const spec = specFromManifest(pack.manifest);
  const rt = await MagicLensRuntime.open(pack, { threads: 2, warmup: false });
  try {
    const rows: FidelityRow[] = [];
    for (const f of files) {
      const fast = await preprocessImage(f, spec);
      const exact = await preprocessImage(f, spec, { prescale: 0 });
      const ef = await rt.embedImages(fast, 1);
      const ee = await rt.embedImages(exact, 1);
      rows.push({ name: path.basename(f), inputMaxAbs: compare(fast, exact).maxAbs, cosine: compare(ef, ee).cosine });
    }
    return rows;
  } finally {
    await rt.close();
  }
}
