// Preprocessing: the jax.image.resize re-implementation on known cases, both pipelines against the
// golden tensors, EXIF orientation applied before anything else, and the prescaled fast path bounded.
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, preprocessImage, processImg224, resizeBilinearAA, rgbToModelInput } from '../../../app/media/preprocess.js';
import { CLIP_MEAN, CLIP_STD } from '../../../models/ts/pack-manifest.js';
import { goldenDir } from '../../helpers/tiny-pack.js';
import { compare, flat } from '../../helpers/compare.js';
import { readGolden, type GoldenTiny } from '../../../app/model/golden.js';

const G = goldenDir();
const spec = (size: number, mode: 'squash' | 'center-crop') => ({ size, mean: CLIP_MEAN, std: CLIP_STD, mode });

describe('jax-style bilinear resize', () => {
  it('upsampling 2→4 is plain linear with half-pixel centres and no edge clamping', () => {
    // jax.image.resize(jnp.array([0., 1.]), (4,), 'bilinear') = [0, 0.25, 0.75, 1]
    expect(Array.from(resizeBilinearAA(Float32Array.from([0, 1]), 1, 2, 1, 1, 4))).toEqual([0, 0.25, 0.75, 1]);
  });
  it('downsampling with antialias averages over the widened triangle (4→2: weights 1/8,3/8,3/8,1/8 renormalised at edges)', () => {
    const out = resizeBilinearAA(Float32Array.from([0, 1, 2, 3]), 1, 4, 1, 1, 2);
    // output 0 samples at 0.5 with kernel width 2: taps 0,1,2 with weights .75,.75,.25 → (0*.75+1*.75+2*.25)/1.75
    expect(out[0]).toBeCloseTo((0.75 + 0.5) / 1.75, 6);
    expect(out[1]).toBeCloseTo((1 * 0.25 + 2 * 0.75 + 3 * 0.75) / 1.75, 6);
  });
  it('keeps constants constant and skips unchanged dimensions', () => {
    const x = new Float32Array(5 * 7 * 3).fill(0.3);
    for (const v of resizeBilinearAA(x, 5, 7, 3, 224, 3)) expect(v).toBeCloseTo(0.3, 6);
    const y = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(resizeBilinearAA(y, 2, 2, 3, 2, 2))).toEqual(Array.from(y));
  });
});

describe('process_img from bytes (lookup table, fused row pass)', () => {
  it('is bit for bit the divide-then-resize definition, taller, wider and 224-high images alike', () => {
    for (const [w, h, max] of [[300, 410, undefined], [517, 224, undefined], [896, 672, 200]] as const) {
      const data = new Uint8Array(w * h * 3).map((_, i) => ((i * 2654435761) >>> 24) % 251);
      let m = 0;
      for (const v of data) m = Math.max(m, v);
      const div = Math.fround((max ?? m) + 1e-12);
      const reference = resizeBilinearAA(Float32Array.from(data, (v) => v / div), h, w, 3, 224, 224);
      const got = processImg224({ data, width: w, height: h, channels: 3 }, max);
      expect(Buffer.from(got.buffer).equals(Buffer.from(reference.buffer)), `${w}×${h}`).toBe(true);
    }
  });
});

describe.skipIf(!G)('golden preprocessing', () => {
  let g: GoldenTiny;
  beforeAll(() => {
    g = readGolden(G!);
  });
  it('process_img (224, max scaling): samples, sums and corners within 1e-5', () => {
    for (const im of g.images) {
      const x = processImg224({ data: Uint8Array.from(flat(im.raw_uint8_hwc)), width: im.hw[1], height: im.hw[0], channels: 3 });
      const s = im.process_img_224;
      const sample: number[] = [];
      for (let y = 0; y < 224; y += 8) for (let xx = 0; xx < 224; xx += 8) for (let c = 0; c < 3; c++) sample.push(x[(y * 224 + xx) * 3 + c]!);
      expect(compare(sample, flat(s.sample_rows_cols_0_to_223_step_8)).maxAbs).toBeLessThan(1e-5);
      expect(Math.abs(x.reduce((a, b) => a + b, 0) - s.sum) / s.sum).toBeLessThan(1e-6);
      expect(x.reduce((a, b) => Math.max(a, b), 0)).toBeCloseTo(s.max, 6);
    }
  });
  it('both pipelines from the PNGs match the golden model inputs within 1e-3 (in fact ~4e-6)', async () => {
    for (let i = 0; i < 3; i++) {
      const im = g.images[i]!;
      const png = path.join(G!, im.png);
      const a = await preprocessImage(png, spec(32, 'squash'));
      const b = await preprocessImage(png, spec(32, 'center-crop'));
      expect(compare(a, flat(im.preprocessed_32x32x3)).maxAbs).toBeLessThan(1e-5);
      expect(compare(b, flat(g.direct_variant.images[i]!.preprocessed_32x32x3)).maxAbs).toBeLessThan(1e-5);
    }
  });
});

describe('decoding', () => {
  it('applies EXIF orientation before preprocessing', async () => {
    // a 40×20 image: left half red, right half blue; stored rotated with orientation 6 (display = 90° cw)
    const w = 40, h = 20;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], (y * w + x) * 3);
    const stored = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).rotate(-90).png().toBuffer(); // 20×40 on disk
    const jpeg = await sharp(stored).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    const d = await decodeRgb(jpeg);
    expect([d.width, d.height]).toEqual([40, 20]);
    const px = (x: number, y: number) => Array.from(d.data.subarray((y * d.width + x) * 3, (y * d.width + x) * 3 + 3));
    expect(px(5, 10)[0]).toBeGreaterThan(200); // red on the left after rotation
    expect(px(35, 10)[2]).toBeGreaterThan(200); // blue on the right
    const viaFile = await preprocessImage(jpeg, spec(32, 'squash'));
    expect(compare(viaFile, rgbToModelInput(d, spec(32, 'squash'))).maxAbs).toBe(0);
  });

  // A hard-edged synthetic pattern decoded at 1/4 DCT scale (600×450): measured max-abs 0.096 (squash) and
  // 0.108 (center-crop), input cosine 0.99991 and 0.99985; bounds at about 1.4× the error.
  it('the prescaled fast path stays within 0.15 (normalised units) of the exact path on a large photo-like image', async () => {
    const W = 2400, H = 1800;
    const raw = Buffer.alloc(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      raw[i] = 128 + 100 * Math.sin(x / 37) * Math.cos(y / 53);
      raw[i + 1] = (x * 255) / W;
      raw[i + 2] = ((x ^ y) & 64) ? 200 : 30;
    }
    const jpeg = await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    for (const mode of ['squash', 'center-crop'] as const) {
      const exact = await preprocessImage(jpeg, spec(224, mode), { prescale: 0 });
      const fast = await preprocessImage(jpeg, spec(224, mode));
      const r = compare(fast, exact);
      expect(r.maxAbs, mode).toBeLessThan(0.15);
      expect(r.cosine, mode).toBeGreaterThan(0.9997);
    }
  });

  it('rejects undecodable input with an error', async () => {
    await expect(preprocessImage(Buffer.from('not an image'), spec(32, 'squash'))).rejects.toThrow();
  });
});
