// The header pass reads a JPEG's first 256 KB only (app/index/header-prepass.ts readHeader). A large
// JPEG gets its metadata from that head; one whose frame header and EXIF lie beyond it (huge APP
// segments first) falls back to the whole file and still gets them; a non-JPEG is read whole.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { JPEG_HEAD_BYTES, readHeader } from '../../../app/index/header-prepass.js';
import { noise, tempDir } from '../../helpers/engine.js';

const dir = tempDir('ml-readheader-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const exif = { IFD0: { Make: 'Canon', Model: 'EOS 5D' }, IFD2: { DateTimeOriginal: '2020:03:01 10:00:00' } };
const taken = Date.UTC(2020, 2, 1, 10, 0, 0);

async function write(name: string, bytes: Buffer): Promise<{ file: string; size: number }> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { file, size: bytes.length };
}

/** APP15 segments of 65,000 bytes each, put right after the SOI marker. */
function padded(jpeg: Buffer, segments: number): Buffer {
  const pads = Array.from({ length: segments }, () => {
    const seg = Buffer.alloc(65_002);
    seg[0] = 0xff;
    seg[1] = 0xef;
    seg.writeUInt16BE(65_000, 2);
    return seg;
  });
  return Buffer.concat([jpeg.subarray(0, 2), ...pads, jpeg.subarray(2)]);
}

describe('readHeader', () => {
  it('reads a large JPEG\'s dimensions, date and camera from its head', async () => {
    const jpeg = await sharp(noise(7, 900 * 700 * 3), { raw: { width: 900, height: 700, channels: 3 } }).withExifMerge(exif).jpeg({ quality: 95 }).toBuffer();
    expect(jpeg.length).toBeGreaterThan(JPEG_HEAD_BYTES); // else the head would be the whole file
    const { file, size } = await write('large.jpg', jpeg);
    const { meta, format } = await readHeader(file, size);
    expect(format).toBe('jpeg');
    expect(meta).toMatchObject({ width: 900, height: 700, takenAt: taken, camera: 'Canon EOS 5D' });
  });

  it('falls back to the whole file when the frame header lies beyond the head', async () => {
    const jpeg = padded(await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } }).withExifMerge(exif).jpeg().toBuffer(), 5);
    // the head alone is not readable: the case the fallback exists for
    await expect(sharp(jpeg.subarray(0, JPEG_HEAD_BYTES)).metadata()).rejects.toThrow();
    const { file, size } = await write('padded.jpg', jpeg);
    expect((await readHeader(file, size)).meta).toMatchObject({ width: 640, height: 480, takenAt: taken, camera: 'Canon EOS 5D' });
  });

  it('reads a non-JPEG whole, and refuses a file that is no image with a clear reason', async () => {
    const png = await sharp(noise(9, 400 * 300 * 3), { raw: { width: 400, height: 300, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
    expect(png.length).toBeGreaterThan(JPEG_HEAD_BYTES);
    const p = await write('large.png', png);
    expect((await readHeader(p.file, p.size)).meta).toMatchObject({ width: 400, height: 300, format: 'png' });
    const junk = await write('junk.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), noise(3, JPEG_HEAD_BYTES + 10)]));
    await expect(readHeader(junk.file, junk.size)).rejects.toThrow(/not a readable image/);
  });
});
