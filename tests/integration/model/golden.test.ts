// The tiny golden checkpoint, converted by our TS converter and run by onnxruntime-node, against the
// vectors the official JAX code produced (../shared/reference/magiclens).
import path from 'node:path';
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { goldenDir, tinyPackDir } from '../../helpers/tiny-pack.js';
import { compare, flat } from '../../helpers/compare.js';
import { readGolden, type GoldenModelImage, type GoldenTiny } from '../../../app/model/golden.js';
import { loadPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { preprocessImage, rgbToModelInput, specFromManifest } from '../../../app/media/preprocess.js';

const G_DIR = goldenDir();
// Measured: ≤ 2e-6 on embeddings, ≤ 3.6e-6 on preprocessing; 1e-5 leaves ~3× margin.
const TOL = 1e-5;
// Inner activations (unnormalised, larger magnitudes): measured ≤ 1.3e-5; 5e-5 leaves ~4× margin.
const INTERMEDIATE_TOL = 5e-5;
const COS = 0.99999;

function expectClose(name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = TOL) {
  const r = compare(got, want);
  expect(r.maxAbs, `${name} max-abs`).toBeLessThanOrEqual(tol);
  expect(r.cosine, `${name} cosine`).toBeGreaterThanOrEqual(COS);
  return r;
}

describe.skipIf(!G_DIR)('golden tiny model: converter + onnxruntime-node vs official JAX', () => {
  let G: GoldenTiny;
  let rt: MagicLensRuntime;
  let exposed: string;
  beforeAll(async () => {
    G = readGolden(G_DIR!);
    const dir = (await tinyPackDir())!;
    rt = await MagicLensRuntime.open(await loadPack(dir), { threads: 1 });
    exposed = (await tinyPackDir({ expose: true }))!;
  }, 60_000);

  it('runs on the CPU provider here and reports it', () => {
    expect(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']).toContain(rt.provider);
    expect(rt.dim).toBe(32);
    expect(rt.imageSize).toBe(32);
  });

  it('token ids identical to the official tokenizer (unpadded and padded)', () => {
    G.texts.forEach((t, i) => {
      const n = G.token_lengths_incl_sot_eot[i];
      expect(rt.tokenizer.encode(t)).toEqual(G.token_ids[i]!.slice(0, n));
      expect(Array.from(rt.tokenizer.encodePadded(t), Number)).toEqual(G.token_ids[i]);
    });
  });

  for (const variant of ['pipe', 'direct_variant'] as const) {
    it(`${variant}: preprocessing, image/text embeds and all 12 multimodal embeds ≤1e-5, cos ≥ 0.99999`, async () => {
      const spec = specFromManifest(rt.pack.manifest, variant === 'pipe' ? 'squash' : 'center-crop');
      const gImages: GoldenModelImage[] = variant === 'pipe' ? G.images : G.direct_variant.images;
      const gPairs = variant === 'pipe' ? G.pairs : G.direct_variant.pairs;
      const px: Float32Array[] = [];
      for (let i = 0; i < 3; i++) {
        const im = G.images[i]!;
        const fromPng = await preprocessImage(path.join(G_DIR!, im.png), spec);
        const fromNpy = rgbToModelInput({ data: Uint8Array.from(flat(im.raw_uint8_hwc)), width: im.hw[1], height: im.hw[0], channels: 3 }, spec);
        const want = flat(gImages[i]!.preprocessed_32x32x3);
        expectClose('preprocessed from PNG', fromPng, want);
        expectClose('preprocessed from uint8', fromNpy, want);
        px.push(fromPng);
      }
      const all = new Float32Array(3 * 32 * 32 * 3);
      px.forEach((p, i) => all.set(p, i * p.length));
      const img = await rt.embedImages(all, 3);
      expectClose('clip_image_embed', img, gImages.flatMap((im) => im.clip_image_embed));
      const txt = await rt.embedTexts(G.texts);
      expectClose('text_embeds', txt, flat(G.text_embeds));
      const pi = new Float32Array(12 * 32), pt = new Float32Array(12 * 32);
      for (let p = 0; p < 12; p++) {
        pi.set(img.subarray((p >> 2) * 32, ((p >> 2) + 1) * 32), p * 32);
        pt.set(txt.subarray((p % 4) * 32, (p % 4 + 1) * 32), p * 32);
      }
      const { embedding, unnorm } = await rt.fuseWithUnnorm(pi, pt, 12);
      expectClose('multimodal_embed', unnorm, gPairs.flatMap((p) => p.multimodal_embed));
      expectClose('multimodal_embed_norm', embedding, gPairs.flatMap((p) => p.multimodal_embed_norm));
      // every pair on its own (batch 1, text on its real length) agrees too
      for (let p = 0; p < 12; p++) {
        const t1 = await rt.embedText(G.texts[p % 4]!);
        const e1 = await rt.fuse(img.subarray((p >> 2) * 32, ((p >> 2) + 1) * 32), t1, 1);
        expectClose(`pair ${p}`, e1, gPairs[p]!.multimodal_embed_norm);
      }
    });
  }

  it('every exposed intermediate matches (vision, text on real length, fusion, pooler)', async () => {
    const I = G.intermediates_pipe_batched;
    const sess = async (f: string) => ort.InferenceSession.create(path.join(exposed, f));
    const [img, txt, fus] = [await sess('image.onnx'), await sess('text.onnx'), await sess('fusion.onnx')];
    const px = new Float32Array(G.images.flatMap((im) => flat(im.preprocessed_32x32x3)));
    const io = await img.run({ pixels: new ort.Tensor('float32', px, [3, 32, 32, 3]) });
    expectClose('conv1', io.conv1!.data as Float32Array, flat(I['clip/visual/conv1 [img,4,4,48]']), INTERMEDIATE_TOL);
    expectClose('ln_pre', io.ln_pre!.data as Float32Array, flat(I['clip/visual/ln_pre [img,17,48]']), INTERMEDIATE_TOL);
    expectClose('visual transformer', io.transformer!.data as Float32Array, flat(I['clip/visual/transformer [img,17,48]']), INTERMEDIATE_TOL);
    for (let t = 0; t < 4; t++) {
      const L = G.token_lengths_incl_sot_eot[t]!;
      const ids = BigInt64Array.from(G.token_ids[t]!.slice(0, L).map(BigInt));
      const o = await txt.run({ ids: new ort.Tensor('int64', ids, [1, L]) });
      expectClose(`text transformer ${t}`, o.transformer!.data as Float32Array, flat(I['clip/text/transformer [txt,77,16]'][t]).slice(0, L * 16), INTERMEDIATE_TOL);
      expectClose(`ln_final ${t}`, o.ln_final!.data as Float32Array, flat(I['clip/text/ln_final [txt,77,16]'][t]).slice(0, L * 16), INTERMEDIATE_TOL);
    }
    // padded to 77 the whole [4,77,16] matches, pad positions included (fully-masked rows are uniform, as in flax)
    const o77 = await txt.run({ ids: new ort.Tensor('int64', BigInt64Array.from(flat(G.token_ids).map(BigInt)), [4, 77]) });
    expectClose('text transformer padded', o77.transformer!.data as Float32Array, flat(I['clip/text/transformer [txt,77,16]']), INTERMEDIATE_TOL);
    const ie = io.image_embed!.data as Float32Array;
    const te = o77.text_embed!.data as Float32Array;
    const pi = new Float32Array(12 * 32), pt = new Float32Array(12 * 32);
    for (let p = 0; p < 12; p++) { pi.set(ie.subarray((p >> 2) * 32, ((p >> 2) + 1) * 32), p * 32); pt.set(te.subarray((p % 4) * 32, (p % 4 + 1) * 32), p * 32); }
    const fo = await fus.run({ image_embed: new ort.Tensor('float32', pi, [12, 32]), text_embed: new ort.Tensor('float32', pt, [12, 32]) });
    expectClose('x_layers_0', fo.x_layers_0!.data as Float32Array, flat(I['multimodal_encoder/x_layers_0 out [pair,2,32]']), INTERMEDIATE_TOL);
    expectClose('multimodal_encoder', fo.multimodal_encoder!.data as Float32Array, flat(I['multimodal_encoder out [pair,2,32]']), INTERMEDIATE_TOL);
    expectClose('pool_attn', fo.pool_attn!.data as Float32Array, flat(I['contrastive_multimodal_pooler/pool_attn encoded [pair,1,32]']), INTERMEDIATE_TOL);
    expectClose('pool probs', fo.pool_probs!.data as Float32Array, flat(I['contrastive_multimodal_pooler/pool_attn probs [pair,heads2,1,2]']), INTERMEDIATE_TOL);
    for (const s of [img, txt, fus]) await s.release();
  });

  it('batched image inference (more than one internal chunk) equals one-by-one runs; texts of mixed length batch exactly', async () => {
    const per = 32 * 32 * 3, n = 19;
    const px = new Float32Array(n * per).map((_, i) => Math.sin(i * 0.37));
    const all = await rt.embedImages(px, n);
    for (let i = 0; i < n; i++) {
      const one = await rt.embedImages(px.subarray(i * per, (i + 1) * per), 1);
      expect(compare(one, all.subarray(i * 32, (i + 1) * 32)).maxAbs).toBeLessThan(1e-6);
    }
    const texts = ['', 'a much longer instruction with many words in it', 'short'];
    const batch = await rt.embedTexts(texts);
    for (let i = 0; i < texts.length; i++) expect(compare(await rt.embedText(texts[i]!), batch.subarray(i * 32, (i + 1) * 32)).maxAbs).toBeLessThan(1e-5);
  });

  it('empty-text target embeddings equal fusing with e_text("")', async () => {
    const img = new Float32Array(2 * 32).map((_, i) => Math.sin(i));
    const a = await rt.targetEmbeddings(img, 2);
    const b = await rt.fuse(img, await rt.embedText(''), 2);
    expect(compare(a, b).maxAbs).toBeLessThan(1e-6);
  });
});
