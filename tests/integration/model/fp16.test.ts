// Optional float16 towers (for GPU providers): the half conversion is exact on known values, and the
// fp16 tiny pack (run here on CPU, the only provider available) stays close to the golden outputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHalf } from '../../../models/ts/magiclens-graphs.js';
import { convertCheckpoint } from '../../../models/ts/convert.js';
import { loadPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { goldenDir } from '../../helpers/tiny-pack.js';
import { compare, flat } from '../../helpers/compare.js';
import { readGolden } from '../../../app/model/golden.js';

const G = goldenDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-fp16-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('float16', () => {
  it('float32 → half rounds to nearest even, with subnormals, overflow and NaN', () => {
    const cases: [number, number][] = [[1, 0x3c00], [-2, 0xc000], [0.1, 0x2e66], [65504, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00],
      [2 ** -24, 0x0001], [2 ** -26, 0x0000], [6.1e-5, 0x03ff], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [-0, 0x8000], [0, 0]];
    const got = toHalf(Float32Array.from(cases.map((c) => c[0])));
    cases.forEach(([v, h], i) => expect(got[i], `${v}`).toBe(h));
    expect(toHalf(Float32Array.from([NaN]))[0]! & 0x7c00).toBe(0x7c00);
  });

  it.skipIf(!G)('fp16 towers of the tiny pack stay within 1e-2 / cosine 0.999 of the golden embeddings', async () => {
    const g = readGolden(G!);
    const dir = path.join(tmp, 'pack');
    const m = await convertCheckpoint({ checkpoint: path.join(G!, 'tiny_checkpoint.pkl'), vocab: path.join(G!, 'bpe_simple_vocab_16e6.txt.gz'), outDir: dir, id: 'tiny-fp16', name: 'tiny fp16', fp16: true });
    expect(m.variants?.fp16).toEqual({ 'image.onnx': 'image.fp16.onnx', 'text.onnx': 'text.fp16.onnx' });
    const pack = await loadPack(dir);
    const auto = await MagicLensRuntime.open(pack, { providers: ['cpu'], warmup: false });
    expect(auto.precision).toBe('fp32'); // CPU keeps fp32
    await auto.close();
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], precision: 'fp16' });
    expect(rt.precision).toBe('fp16');
    const px = new Float32Array(g.images.flatMap((im) => flat(im.preprocessed_32x32x3)));
    const img = await rt.embedImages(px, 3);
    const txt = await rt.embedTexts(g.texts);
    const ri = compare(img, g.images.flatMap((im) => im.clip_image_embed));
    const rtxt = compare(txt, flat(g.text_embeds));
    const pi = new Float32Array(12 * 32), pt = new Float32Array(12 * 32);
    for (let p = 0; p < 12; p++) { pi.set(img.subarray((p >> 2) * 32, ((p >> 2) + 1) * 32), p * 32); pt.set(txt.subarray((p % 4) * 32, (p % 4 + 1) * 32), p * 32); }
    const e = await rt.fuse(pi, pt, 12);
    const re = compare(e, g.pairs.flatMap((p) => p.multimodal_embed_norm));
    console.log(`[fp16] image max-abs ${ri.maxAbs.toExponential(2)} cos ${ri.cosine.toFixed(6)}; text ${rtxt.maxAbs.toExponential(2)} / ${rtxt.cosine.toFixed(6)}; fused norm ${re.maxAbs.toExponential(2)} / ${re.cosine.toFixed(6)}`);
    for (const r of [ri, rtxt, re]) {
      expect(r.maxAbs).toBeLessThan(1e-2);
      expect(r.cosine).toBeGreaterThan(0.999);
    }
    await rt.close();
  }, 60_000);
});
