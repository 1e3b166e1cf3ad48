// The index pass's single decode (app/media/ingest.ts): the model input must equal preprocessImage's on the
// same file bit for bit (so stored vectors do not change), the thumbnail must be upright with alpha on white,
// and bad input must still be refused with a reason — the header guard before any pixel is decoded.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeError } from '../../../app/media/decode.js';
import { ingestImage } from '../../../app/media/ingest.js';
import { preprocessImage } from '../../../app/media/preprocess.js';
import { CLIP_MEAN, CLIP_STD } from '../../../models/ts/pack-manifest.js';
import { forgedPng, noise, tempDir, writePhoto } from '../../helpers/engine.js';

const root = tempDir('ml-ingest-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const spec = (size: number, mode: 'squash' | 'center-crop') => ({ size, mean: CLIP_MEAN, std: CLIP_STD, mode });

function hasHeicEncoder(): boolean {
  const r = spawnSync('convert', ['-list', 'format'], { encoding: 'utf8' });
  return r.status === 0 && /HEIC\*?\s+HEIC\s+rw/.test(r.stdout);
}

async function fixtures(): Promise<Record<string, Buffer>> {
  // 1300×700 with EXIF orientation 6 and a max below 255: over 4×224 on the long side, so the prescaled
  // path runs, and the per-image maximum must come from the full-resolution pixels.
  const big = await sharp(noise(11, 1300 * 700 * 3).map((v) => v % 200), { raw: { width: 1300, height: 700, channels: 3 } })
    .withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
  const rgba = noise(12, 90 * 60 * 4);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = i % 3 === 0 ? 0 : 128; // transparent and half-transparent
  const grey = noise(13, 50 * 40);
  const greyAlpha = noise(14, 50 * 40 * 2);
  return {
    'large rotated JPEG': big,
    'small PNG': fs.readFileSync(await writePhoto(path.join(root, 's.png'), 3, { fmt: 'png', width: 70, height: 50 })),
    'RGBA PNG': await sharp(rgba, { raw: { width: 90, height: 60, channels: 4 } }).png().toBuffer(),
    'grey JPEG': await sharp(grey, { raw: { width: 50, height: 40, channels: 1 } }).jpeg().toBuffer(),
    'grey+alpha PNG': await sharp(greyAlpha, { raw: { width: 50, height: 40, channels: 2 } }).png().toBuffer(),
    '16-bit PNG': await sharp(noise(15, 40 * 30 * 3), { raw: { width: 40, height: 30, channels: 3 } }).toColourspace('rgb16').png().toBuffer(),
    WebP: fs.readFileSync(await writePhoto(path.join(root, 's.webp'), 4, { fmt: 'webp', width: 64, height: 48 })),
  };
}

describe('ingestImage (decode once for the index pass)', () => {
  it('gives exactly preprocessImage\'s model input, for both pipelines and several input kinds', async () => {
    for (const [name, buf] of Object.entries(await fixtures())) {
      for (const s of [spec(64, 'squash'), spec(64, 'center-crop'), spec(224, 'squash')]) {
        const got = await ingestImage(buf, s, { thumb: false });
        const want = await preprocessImage(buf, s);
        expect(got.pixels.length, name).toBe(want.length);
        expect(Buffer.from(got.pixels.buffer).equals(Buffer.from(want.buffer)), `${name} ${s.mode} ${s.size}`).toBe(true);
        expect(got.thumb).toBeNull();
      }
    }
  });

  it('the thumbnail is upright, at most 320 px, and transparency is flattened onto white', async () => {
    const f = await fixtures();
    const big = await ingestImage(f['large rotated JPEG']!, spec(64, 'squash'), { thumb: true });
    expect(big.meta).toMatchObject({ width: 700, height: 1300, orientation: 6, format: 'jpeg' });
    const m = await sharp(big.thumb!).metadata();
    expect([m.format, m.width, m.height]).toEqual(['jpeg', 172, 320]);
    const clear = Buffer.alloc(20 * 20 * 4); // fully transparent black
    const t = await ingestImage(await sharp(clear, { raw: { width: 20, height: 20, channels: 4 } }).png().toBuffer(), spec(32, 'squash'), { thumb: true });
    const { data } = await sharp(t.thumb!).raw().toBuffer({ resolveWithObject: true });
    expect(Math.min(...data)).toBeGreaterThan(245);
  });

  it.skipIf(!hasHeicEncoder())('HEIC goes through heic-decode and matches preprocessImage on the old PNG route', async () => {
    const png = await writePhoto(path.join(root, 'h.png'), 9, { fmt: 'png', width: 32, height: 24 });
    const heic = path.join(root, 'a.heic');
    expect(spawnSync('convert', [png, heic]).status).toBe(0);
    const { openImage } = await import('../../../app/media/decode.js');
    const buf = fs.readFileSync(heic);
    const got = await ingestImage(buf, spec(32, 'squash'), { thumb: true });
    const want = await preprocessImage((await openImage(buf)).source, spec(32, 'squash'));
    expect(got.meta).toMatchObject({ format: 'heic', width: 32, height: 24 });
    expect(Array.from(got.pixels)).toEqual(Array.from(want));
    expect((await sharp(got.thumb!).metadata()).width).toBe(32);
  });

  it('refuses bad input with a reason; the pixel limit is checked from the header first', async () => {
    const s = spec(32, 'squash');
    await expect(ingestImage(Buffer.alloc(0), s, { thumb: true })).rejects.toThrow(/empty file/);
    await expect(ingestImage(noise(1, 5000), s, { thumb: true })).rejects.toThrow(/not a readable image/);
    const jpg = fs.readFileSync(await writePhoto(path.join(root, 'full.jpg'), 5, { width: 64, height: 64 }));
    const truncated = ingestImage(jpg.subarray(0, Math.floor(jpg.length / 2)), s, { thumb: true });
    await expect(truncated).rejects.toThrow(DecodeError);
    await expect(truncated).rejects.toThrow(/cannot decode jpeg/);
    const bomb = path.join(root, 'bomb.png');
    await forgedPng(bomb, 30_000, 30_000);
    await expect(ingestImage(fs.readFileSync(bomb), s, { thumb: true })).rejects.toThrow(/30000×30000.*decompression-bomb guard/);
  });
});
