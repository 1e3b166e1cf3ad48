import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DecodeError, openImage } from '../../../app/media/decode.js';
import { thumbPath, writeThumb } from '../../../app/media/thumbs.js';
import { forgedPng, noise, tempDir, writePhoto, type Fmt } from '../../helpers/engine.js';

const root = tempDir('ml-decode-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function hasHeicEncoder(): boolean {
  const r = spawnSync('convert', ['-list', 'format'], { encoding: 'utf8' });
  return r.status === 0 && /HEIC\*?\s+HEIC\s+rw/.test(r.stdout);
}

describe('decode', () => {
  for (const fmt of ['jpeg', 'png', 'webp', 'avif', 'tiff', 'gif'] as Fmt[]) {
    it(`reads ${fmt}: format and dimensions`, async () => {
      const f = await writePhoto(path.join(root, `a.${fmt}`), 7, { fmt, width: 30, height: 20 });
      const img = await openImage(fs.readFileSync(f));
      expect(img.meta).toMatchObject({ format: fmt, width: 30, height: 20 });
    });
  }

  it.skipIf(!hasHeicEncoder())('reads HEIC through the wasm decoder (encoder for the fixture: ImageMagick)', async () => {
    const png = await writePhoto(path.join(root, 'src.png'), 9, { fmt: 'png', width: 32, height: 24 });
    const heic = path.join(root, 'a.heic');
    expect(spawnSync('convert', [png, heic]).status).toBe(0);
    const img = await openImage(fs.readFileSync(heic));
    expect(img.meta).toMatchObject({ format: 'heic', width: 32, height: 24 });
    const { info } = await sharp(img.source).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([32, 24]);
  });

  it('reads EXIF date taken, camera and orientation (dimensions after rotation)', async () => {
    const buf = await sharp(noise(3, 40 * 20 * 3), { raw: { width: 40, height: 20, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .withExifMerge({ IFD0: { Make: 'Canon', Model: 'EOS 5D' }, IFD2: { DateTimeOriginal: '2021:07:04 12:34:56' } })
      .jpeg()
      .toBuffer();
    const img = await openImage(buf);
    expect(img.meta).toEqual({ width: 20, height: 40, takenAt: Date.UTC(2021, 6, 4, 12, 34, 56), camera: 'Canon EOS 5D', format: 'jpeg', orientation: 6 });
    // The thumbnail is upright (rotated by EXIF).
    const t = await writeThumb(root, 'ab'.repeat(32), img.source, img.autoOrient);
    expect(t).toBe(thumbPath(root, 'ab'.repeat(32)));
    const m = await sharp(t).metadata();
    expect([m.width, m.height]).toEqual([20, 40]);
  });

  it('refuses bad input with a reason', async () => {
    await expect(openImage(Buffer.alloc(0))).rejects.toThrow(/empty file/);
    await expect(openImage(noise(1, 5000))).rejects.toThrow(/not a readable image/);
    const jpg = fs.readFileSync(await writePhoto(path.join(root, 'full.jpg'), 5, { width: 64, height: 64 }));
    await expect(openImage(jpg.subarray(0, Math.floor(jpg.length / 2)))).rejects.toThrow(DecodeError);
    const bomb = path.join(root, 'bomb.png');
    await forgedPng(bomb, 30_000, 30_000);
    expect(fs.statSync(bomb).size).toBeLessThan(200);
    await expect(openImage(fs.readFileSync(bomb))).rejects.toThrow(/30000×30000.*decompression-bomb guard/);
  });
});
