// Large non-JPEG photos are reduced while they decode (app/media/preprocess.ts reducedDecodeSide): libvips
// streams the file through its resize, so a decompression bomb under the per-file limit never exists as a
// whole-image buffer. Measured: a 13000×13000 greyscale PNG (520 KB) is ingested at 156 MB peak RSS in
// a fresh process (the whole-image path: 579 MB and up, for the RGB buffer), in 0.6 s;
// on two photo-like 27-MP PNGs the model input is 0.021–0.022 max-abs from the exact official pipeline
// (the reduced per-image maximum and libvips linear reduction, as JPEG shrink-on-load); bound 0.05.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestImage } from '../../../app/media/ingest.js';
import { preprocessImage, reducedDecodeSide, STREAM_ABOVE_PIXELS } from '../../../app/media/preprocess.js';
import { sharedDir } from '../../../app/paths.js';
import { CLIP_MEAN, CLIP_STD } from '../../../models/ts/pack-manifest.js';
import { tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-streamed-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const spec = { size: 224, mean: CLIP_MEAN, std: CLIP_STD, mode: 'squash' as const };
const fashion = path.join(sharedDir(), 'datasets', 'fashion', 'images');

describe('streamed reduction of large non-JPEG photos', () => {
  it('streams PNG, WebP, TIFF, GIF and AVIF above 24 MP; smaller ones and HEIC decode whole', () => {
    expect(STREAM_ABOVE_PIXELS).toBe(24_000_000);
    for (const f of ['png', 'webp', 'tiff', 'gif', 'avif']) expect(reducedDecodeSide(f, { width: 6000, height: 4500 }, spec), f).toBe(896);
    expect(reducedDecodeSide('png', { width: 4000, height: 3000 }, spec)).toBeNull();
    expect(reducedDecodeSide('heic', { width: 8000, height: 6000 }, spec)).toBeNull();
    expect(reducedDecodeSide('png', { width: 6000, height: 4500 }, spec, { prescale: 0 })).toBeNull();
  });

  it('ingests a 13000×13000 greyscale PNG without a whole-image buffer (fresh process, peak RSS)', { timeout: 120_000 }, () => {
    const script = `
      import sharp from 'sharp';
      import { ingestImage } from ${JSON.stringify(path.resolve('app/media/ingest.ts'))};
      const buf = await sharp({ create: { width: 13000, height: 13000, channels: 3, background: { r: 90, g: 90, b: 90 } }, limitInputPixels: false }).greyscale().png({ compressionLevel: 9 }).toBuffer();
      const before = process.resourceUsage().maxRSS / 1024;
      const r = await ingestImage(buf, { size: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], mode: 'squash' }, { thumb: true });
      console.log(JSON.stringify({ before, after: process.resourceUsage().maxRSS / 1024, width: r.meta.width, thumb: r.thumb ? r.thumb.length : 0, n: r.pixels.length }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve('.'), encoding: 'utf8', timeout: 110_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: number; after: number; width: number; thumb: number; n: number };
    expect(out.width).toBe(13000);
    expect(out.thumb).toBeGreaterThan(0);
    expect(out.n).toBe(224 * 224 * 3);
    // the whole-image decode alone is 169 MB grey / 507 MB RGB: measured 156 MB total here
    console.log(`13000² greyscale PNG ingested: peak RSS ${out.after.toFixed(0)} MB`);
    expect(out.after).toBeLessThan(300);
  });

  it.skipIf(!fs.existsSync(fashion))('27-MP photo-like PNGs: within the stated tolerance of the exact pipeline; index pass = query', { timeout: 180_000 }, async () => {
    const src = fs.readdirSync(fashion).sort().filter((_, i) => i % 1499 === 0).slice(0, 2).map((f) => path.join(fashion, f));
    for (const [i, f] of src.entries()) {
      const up = await sharp(f).resize(6000, 4500, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
      let s = 7 + i;
      for (let j = 0; j < up.length; j++) {
        s = (s * 1103515245 + 12345) >>> 0;
        up[j] = Math.max(0, Math.min(255, up[j]! + ((s >>> 16) % 13) - 6)); // sensor-like noise
      }
      const buf = await sharp(up, { raw: { width: 6000, height: 4500, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
      const streamed = (await ingestImage(buf, spec, { thumb: false })).pixels;
      expect(Buffer.from(streamed.buffer).equals(Buffer.from((await preprocessImage(buf, spec)).buffer))).toBe(true);
      const exact = await preprocessImage(buf, spec, { prescale: 0 });
      let maxAbs = 0;
      for (let k = 0; k < exact.length; k++) maxAbs = Math.max(maxAbs, Math.abs(exact[k]! - streamed[k]!));
      console.log(`streamed vs exact, photo ${i}: input max-abs ${maxAbs.toFixed(4)}`);
      expect(maxAbs).toBeLessThan(0.05); // measured 0.021–0.022
    }
  });
});
