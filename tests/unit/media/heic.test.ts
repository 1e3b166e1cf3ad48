// HEIC decoding in a recycled worker thread (app/media/heic.ts): the wasm decoder's heap, which grows to the
// largest photo decoded and never shrinks, is given back after a large photo. Fixtures are encoded at test
// time with libheif's heif-enc (Debian libheif-examples, installed by `npm test`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeHeic } from '../../../app/media/decode.js';
import { ingestImage } from '../../../app/media/ingest.js';
import { preprocessImage } from '../../../app/media/preprocess.js';
import { CLIP_MEAN, CLIP_STD } from '../../../models/ts/pack-manifest.js';
import { tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-heic-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const hasEncoder = spawnSync('heif-enc', ['--version']).status === 0;
const spec = { size: 224, mean: CLIP_MEAN, std: CLIP_STD, mode: 'squash' as const };

async function heic(name: string, width: number, height: number, make: (s: Sharp) => Sharp): Promise<{ heic: string; jpeg: string }> {
  const jpeg = path.join(root, `${name}.jpg`);
  await make(sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })).jpeg({ quality: 95 }).toFile(jpeg);
  const out = path.join(root, `${name}.heic`);
  const r = spawnSync('heif-enc', ['-q', '90', '-p', 'x265:preset=ultrafast', jpeg, '-o', out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { heic: out, jpeg };
}

describe.skipIf(!hasEncoder)('HEIC in a recycled worker', () => {
  it('decodes to RGB, and the index pass sees what the same picture as JPEG gives', { timeout: 120_000 }, async () => {
    const f = await heic('small', 640, 480, (s) => s.composite([{ input: { create: { width: 200, height: 120, channels: 3, background: { r: 20, g: 220, b: 60 } } }, left: 100, top: 80 }]));
    const img = await decodeHeic(fs.readFileSync(f.heic));
    expect([img.width, img.height, img.data.length]).toEqual([640, 480, 640 * 480 * 3]);
    const got = await ingestImage(fs.readFileSync(f.heic), spec, { thumb: true });
    expect(got.meta).toMatchObject({ format: 'heic', width: 640, height: 480 });
    expect(got.thumb).not.toBeNull();
    const ref = await preprocessImage(f.jpeg, spec);
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < ref.length; i++) { dot += ref[i]! * got.pixels[i]!; na += ref[i]! ** 2; nb += got.pixels[i]! ** 2; }
    expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.995); // HEVC vs JPEG compression of one picture
    await expect(decodeHeic(Buffer.from('not a heic file at all'))).rejects.toThrow(/cannot decode heic/);
  });

  it("gives the decoder's memory back after a 16-MP photo (fresh process: RSS after vs peak)", { timeout: 240_000 }, async () => {
    const f = await heic('large', 4096, 4096, (s) => s);
    const script = `
      import fs from 'node:fs';
      import { decodeHeic } from ${JSON.stringify(path.resolve('app/media/decode.ts'))};
      const img = await decodeHeic(fs.readFileSync(${JSON.stringify(f.heic)}));
      const peak = process.resourceUsage().maxRSS / 1024;
      await new Promise((r) => setTimeout(r, 1000));
      console.log(JSON.stringify({ n: img.data.length, peak, after: process.memoryUsage().rss / 2 ** 20 }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve('.'), encoding: 'utf8', timeout: 200_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { n: number; peak: number; after: number };
    expect(out.n).toBe(4096 * 4096 * 3);
    console.log(`16-MP HEIC: peak ${out.peak.toFixed(0)} MiB, ${out.after.toFixed(0)} MiB a second later (the 50 MB of RGB still held)`);
    // measured 382 → 181 MiB; in-thread decoding kept the wasm heap (~380 MiB stays)
    expect(out.peak - out.after).toBeGreaterThan(120);
  });
});
