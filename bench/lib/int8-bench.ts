// `image tower int8 vs fp32: X× (cosine Y, top-10 overlap Z)` for one pack: the int8 twin built by
// models/ts/quantize.ts (as the app does, into a scratch data folder), speed measured with the two
// towers' runs interleaved (so other load on the machine hits both alike), fidelity by the app's own
// self-check on the bundled sample photos.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SAMPLE_PHOTOS_DIR } from '../../app/index/precision.js';
import { ensureInt8Graph } from '../../app/model/int8.js';
import { loadPack } from '../../app/model/pack.js';
import { MagicLensRuntime } from '../../app/model/runtime.js';
import { runSelfCheck } from '../../app/model/selfcheck.js';

export interface Int8Row { pack: string; batch: number; fp32ImgPerSec: number; int8ImgPerSec: number; speedup: number; cosine: number; cosineMin: number; overlap: number; buildSeconds: number; fp32MiB: number; int8MiB: number }

export async function int8VsFp32(packDir: string, opts: { batches: number[]; threads: number; minSeconds: number; log?: (s: string) => void }): Promise<Int8Row[]> {
  const pack = await loadPack(packDir, { verifyHashes: false });
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-int8-'));
  try {
    const t0 = performance.now();
    const g = ensureInt8Graph(pack, data);
    const buildSeconds = (performance.now() - t0) / 1000;
    const photos = fs.readdirSync(SAMPLE_PHOTOS_DIR).sort().map((f) => path.join(SAMPLE_PHOTOS_DIR, f));
    const check = await runSelfCheck(pack, g, photos, data, { threads: opts.threads });
    const base = { providers: ['cpu' as const], threads: opts.threads, imageTower: 'eager' as const, warmup: false };
    const rtF = await MagicLensRuntime.open(pack, base);
    const rtQ = await MagicLensRuntime.open(pack, { ...base, imageGraph: { file: g.file, sha256: g.sha256, precision: 'int8' } });
    const rows: Int8Row[] = [];
    try {
      const S = rtF.imageSize;
      for (const b of opts.batches) {
        rtF.imageBatch = b;
        rtQ.imageBatch = b;
        const px = new Float32Array(b * S * S * 3).map((_, i) => Math.sin(i * 0.37) * 1.5);
        await rtF.embedImages(px, b);
        await rtQ.embedImages(px, b);
        const tf: number[] = [], tq: number[] = [];
        const start = performance.now();
        do {
          let t = performance.now();
          await rtF.embedImages(px, b);
          tf.push(performance.now() - t);
          t = performance.now();
          await rtQ.embedImages(px, b);
          tq.push(performance.now() - t);
        } while ((performance.now() - start < opts.minSeconds * 1000 || tf.length < 3) && tf.length < 40);
        // best run of each: other load only ever slows a run down
        const f = (b * 1000) / Math.min(...tf), q = (b * 1000) / Math.min(...tq);
        rows.push({
          pack: pack.manifest.id, batch: b, fp32ImgPerSec: f, int8ImgPerSec: q, speedup: q / f,
          cosine: check.cosineMean, cosineMin: check.cosineMin, overlap: check.overlapMean, buildSeconds,
          fp32MiB: fs.statSync(pack.path('image.onnx')).size / 2 ** 20, int8MiB: fs.statSync(g.file).size / 2 ** 20,
        });
        opts.log?.(`[int8] ${pack.manifest.id} batch=${b}: fp32 ${f.toFixed(2)} img/s, int8 ${q.toFixed(2)} img/s`);
      }
    } finally {
      await rtF.close();
      await rtQ.close();
    }
    return rows;
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
}
