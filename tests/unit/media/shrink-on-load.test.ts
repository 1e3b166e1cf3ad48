// JPEG shrink-on-load in the index pass (app/media/preprocess.ts reducedDecodeSide, app/media/ingest.ts):
// a 12-MP JPEG is decoded at 1/8 scale (500×375), and the model input stays within a stated tolerance of
// the exact official pipeline (full-resolution decode). Measured on 6 photo-like 12-MP JPEGs: input max-abs
// 0.0050–0.0095 with the tiny golden pack (32-px input), 0.14–0.18 with the base-shape pack (224-px) and
// 0.014–0.030 with the demo pack (64-px); embedding cosine ≥ 0.99999999, ≥ 0.999999 and ≥ 0.99998. The
// bounds below sit at about twice the measured max-abs.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestImage } from '../../../app/media/ingest.js';
import { preprocessImage, reducedDecodeSide, shrinkOnLoadPixels } from '../../../app/media/preprocess.js';
import { sharedDir } from '../../../app/paths.js';
import { photoLikeJpegs, shrinkFidelity } from '../../../bench/lib/shrink-fidelity.js';
import { CLIP_MEAN, CLIP_STD } from '../../../models/ts/pack-manifest.js';
import { tempDir } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const root = tempDir('ml-shrink-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const spec = (size: number) => ({ size, mean: CLIP_MEAN, std: CLIP_STD, mode: 'squash' as const });
const fashion = path.join(sharedDir(), 'datasets', 'fashion', 'images');

describe('JPEG shrink-on-load for the model input and the thumbnail', () => {
  it('decodes only large JPEGs reduced, and charges the decode budget the reduced size', () => {
    expect(reducedDecodeSide('jpeg', { width: 4000, height: 3000 }, spec(224))).toBe(500);
    expect(reducedDecodeSide('jpeg', { width: 4032, height: 3024 }, spec(224))).toBe(504);
    expect(reducedDecodeSide('jpeg', { width: 3000, height: 2000 }, spec(224))).toBe(750); // 1/8 would leave 375 < 448
    expect(reducedDecodeSide('jpeg', { width: 1300, height: 700 }, spec(224))).toBe(650);
    expect(reducedDecodeSide('jpeg', { width: 800, height: 600 }, spec(224))).toBeNull();
    expect(reducedDecodeSide('png', { width: 4000, height: 3000 }, spec(224))).toBeNull();
    expect(reducedDecodeSide('jpeg', { width: 4000, height: 3000 }, spec(224), { prescale: 0 })).toBeNull();
    expect(shrinkOnLoadPixels({ width: 4000, height: 3000 }, 500)).toBe(500 * 375);
    expect(shrinkOnLoadPixels({ width: 4001, height: 3001 }, 500)).toBe(501 * 376);
    expect(shrinkOnLoadPixels({ width: 12000, height: 9000 }, 1500)).toBe(1500 * 1125);
  });

  it.skipIf(!fs.existsSync(fashion))('stays within the stated tolerance of the exact pipeline; index pass and query agree bit for bit', { timeout: 120_000 }, async () => {
    const src = fs.readdirSync(fashion).sort().filter((_, i) => i % 997 === 0).slice(0, 2).map((f) => path.join(fashion, f));
    const files = await photoLikeJpegs(src, root);
    const pack = await tinyPackDir();
    if (pack) {
      for (const r of await shrinkFidelity(pack, files)) {
        expect(r.inputMaxAbs, r.name).toBeLessThan(0.02);
        expect(r.cosine, r.name).toBeGreaterThan(0.99999);
      }
    }
    const buf = fs.readFileSync(files[0]!);
    const got = await ingestImage(buf, spec(224), { thumb: true });
    expect(Buffer.from(got.pixels.buffer).equals(Buffer.from((await preprocessImage(buf, spec(224))).buffer))).toBe(true);
    const t = await sharp(got.thumb!).metadata();
    expect([t.width, t.height]).toEqual([320, 240]);
    // a truncated 12-MP JPEG is still refused with its reason on the reduced path
    await expect(ingestImage(buf.subarray(0, Math.floor(buf.length * 0.6)), spec(224), { thumb: true })).rejects.toThrow(/cannot decode jpeg/);
  });
});
