// `model verify --golden DIR`: converts the golden tiny checkpoint with this build's converter and runs
// it on this machine's execution provider, comparing every quantity with the official JAX outputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { convertCheckpoint } from '../../models/ts/convert.js';
import { preprocessImage, rgbToModelInput, specFromManifest } from '../media/preprocess.js';
import { readGolden } from './golden.js';
import { loadPack } from './pack.js';
import { MagicLensRuntime, type ProviderName } from './runtime.js';

export interface VerifyRow { quantity: string; maxAbs: number; cosine: number; tolerance: number; ok: boolean }
export interface VerifyReport { provider: string; rows: VerifyRow[]; ok: boolean }

const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);

/**
 * Every quantity (preprocessed pixels, embeddings, intermediates) must match the reference within
 * 1e-5 absolute (measured: ≤ 3.6e-6 preprocessing, ≤ 2e-6 embeddings) AND in direction: a cosine
 * check is always on, so a small-magnitude output cannot pass with the wrong shape.
 */
export const TOL = 1e-5;
export const MIN_COSINE = 0.99999;
/** Inner activations (unnormalised, larger magnitudes; measured ≤ 1.3e-5): cosine still required. */
export const INTERMEDIATE_TOL = 5e-5;

function row(quantity: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number): VerifyRow {
  let maxAbs = got.length === want.length ? 0 : Infinity, dot = 0, na = 0, nb = 0;
  for (let i = 0; i < Math.min(got.length, want.length); i++) {
    const a = got[i]!, b = want[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(a - b));
    dot += a * b; na += a * a; nb += b * b;
  }
  const cosine = na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
  return { quantity, maxAbs, cosine, tolerance, ok: maxAbs <= tolerance && cosine >= MIN_COSINE };
}

export async function verifyAgainstGolden(goldenDir: string, opts: { providers?: ProviderName[]; threads?: number } = {}): Promise<VerifyReport> {
  const gfile = path.join(goldenDir, 'golden_tiny.json');
  if (!fs.existsSync(gfile)) throw new Error(`${goldenDir} holds no golden_tiny.json`);
  const G = readGolden(goldenDir);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'magiclens-verify-'));
  const sessions: ort.InferenceSession[] = [];
  let rt: MagicLensRuntime | null = null;
  try {
    await convertCheckpoint({
      checkpoint: path.join(goldenDir, 'tiny_checkpoint.pkl'), vocab: path.join(goldenDir, 'bpe_simple_vocab_16e6.txt.gz'),
      outDir: work, id: 'golden-tiny', name: 'golden tiny', demo: true, build: { expose: true },
    });
    rt = await MagicLensRuntime.open(await loadPack(work), { ...opts, warmup: false });
    const D = rt.dim, S = rt.imageSize;
    const rows: VerifyRow[] = [];
    let tokOk = 0;
    G.texts.forEach((t, i) => {
      const ids = rt!.tokenizer.encode(t);
      if (JSON.stringify(ids) === JSON.stringify(G.token_ids[i]!.slice(0, G.token_lengths_incl_sot_eot[i]))) tokOk++;
    });
    rows.push({ quantity: `token ids (${tokOk}/${G.texts.length} identical)`, maxAbs: tokOk === G.texts.length ? 0 : 1, cosine: 1, tolerance: 0, ok: tokOk === G.texts.length });
    const txt = await rt.embedTexts(G.texts);
    rows.push(row('clip text_embeds [4]', txt, flat(G.text_embeds), TOL));
    for (const variant of ['pipe', 'direct_variant'] as const) {
      const spec = specFromManifest(rt.pack.manifest, variant === 'pipe' ? 'squash' : 'center-crop');
      const gi = variant === 'pipe' ? G.images : G.direct_variant.images;
      const gp = variant === 'pipe' ? G.pairs : G.direct_variant.pairs;
      const px = new Float32Array(3 * S * S * 3);
      const npx = new Float32Array(3 * S * S * 3);
      for (let i = 0; i < 3; i++) {
        const im = G.images[i]!;
        px.set(await preprocessImage(path.join(goldenDir, im.png), spec), i * S * S * 3);
        npx.set(rgbToModelInput({ data: Uint8Array.from(flat(im.raw_uint8_hwc)), width: im.hw[1], height: im.hw[0], channels: 3 }, spec), i * S * S * 3);
      }
      const wantPx = gi.flatMap((im) => flat(im.preprocessed_32x32x3));
      rows.push(row(`${variant}: preprocessed from PNG (${spec.mode})`, px, wantPx, TOL));
      rows.push(row(`${variant}: preprocessed from uint8 array`, npx, wantPx, TOL));
      const img = await rt.embedImages(px, 3);
      rows.push(row(`${variant}: clip_image_embed [3]`, img, gi.flatMap((im) => im.clip_image_embed), TOL));
      const pi = new Float32Array(12 * D), pt = new Float32Array(12 * D);
      for (let p = 0; p < 12; p++) {
        pi.set(img.subarray((p >> 2) * D, ((p >> 2) + 1) * D), p * D);
        pt.set(txt.subarray((p % 4) * D, (p % 4 + 1) * D), p * D);
      }
      const f = await rt.fuseWithUnnorm(pi, pt, 12);
      rows.push(row(`${variant}: multimodal_embed [12]`, f.unnorm, gp.flatMap((p) => p.multimodal_embed), TOL));
      rows.push(row(`${variant}: multimodal_embed_norm [12]`, f.embedding, gp.flatMap((p) => p.multimodal_embed_norm), TOL));
    }
    // intermediates, from the same graphs' extra outputs
    const I = G.intermediates_pipe_batched;
    const so: ort.InferenceSession.SessionOptions = { executionProviders: [rt.provider], graphOptimizationLevel: 'all' };
    const [si, st, sf] = await Promise.all(['image.onnx', 'text.onnx', 'fusion.onnx'].map((f) => ort.InferenceSession.create(path.join(work, f), so)));
    sessions.push(si!, st!, sf!);
    const gpx = new Float32Array(G.images.flatMap((im) => flat(im.preprocessed_32x32x3)));
    const io = await si!.run({ pixels: new ort.Tensor('float32', gpx, [3, S, S, 3]) });
    rows.push(row('clip/visual/conv1', io.conv1!.data as Float32Array, flat(I['clip/visual/conv1 [img,4,4,48]']), INTERMEDIATE_TOL));
    rows.push(row('clip/visual/ln_pre', io.ln_pre!.data as Float32Array, flat(I['clip/visual/ln_pre [img,17,48]']), INTERMEDIATE_TOL));
    rows.push(row('clip/visual/transformer', io.transformer!.data as Float32Array, flat(I['clip/visual/transformer [img,17,48]']), INTERMEDIATE_TOL));
    const ot = await st!.run({ ids: new ort.Tensor('int64', BigInt64Array.from(flat(G.token_ids).map(BigInt)), [4, 77]) });
    rows.push(row('clip/text/transformer', ot.transformer!.data as Float32Array, flat(I['clip/text/transformer [txt,77,16]']), INTERMEDIATE_TOL));
    rows.push(row('clip/text/ln_final', ot.ln_final!.data as Float32Array, flat(I['clip/text/ln_final [txt,77,16]']), INTERMEDIATE_TOL));
    const ie = io.image_embed!.data as Float32Array, te = ot.text_embed!.data as Float32Array;
    const pi = new Float32Array(12 * D), pt = new Float32Array(12 * D);
    for (let p = 0; p < 12; p++) { pi.set(ie.subarray((p >> 2) * D, ((p >> 2) + 1) * D), p * D); pt.set(te.subarray((p % 4) * D, (p % 4 + 1) * D), p * D); }
    const of = await sf!.run({ image_embed: new ort.Tensor('float32', pi, [12, D]), text_embed: new ort.Tensor('float32', pt, [12, D]) });
    rows.push(row('multimodal_encoder/x_layers_0', of.x_layers_0!.data as Float32Array, flat(I['multimodal_encoder/x_layers_0 out [pair,2,32]']), INTERMEDIATE_TOL));
    rows.push(row('multimodal_encoder', of.multimodal_encoder!.data as Float32Array, flat(I['multimodal_encoder out [pair,2,32]']), INTERMEDIATE_TOL));
    rows.push(row('pooler/pool_attn encoded', of.pool_attn!.data as Float32Array, flat(I['contrastive_multimodal_pooler/pool_attn encoded [pair,1,32]']), INTERMEDIATE_TOL));
    rows.push(row('pooler/pool_attn probs', of.pool_probs!.data as Float32Array, flat(I['contrastive_multimodal_pooler/pool_attn probs [pair,heads2,1,2]']), INTERMEDIATE_TOL));
    return { provider: rt.provider, rows, ok: rows.every((r) => r.ok) };
  } finally {
    for (const s of sessions) await s.release().catch(() => {});
    await rt?.close().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export function formatVerifyTable(r: VerifyReport): string {
  const w = Math.max(...r.rows.map((x) => x.quantity.length), 8);
  const lines = [`golden comparison on execution provider: ${r.provider}`, `${'quantity'.padEnd(w)}  ${'max-abs'.padStart(9)}  ${'cosine'.padStart(11)}  ${'tol'.padStart(6)}  result`];
  for (const x of r.rows) {
    lines.push(`${x.quantity.padEnd(w)}  ${x.maxAbs.toExponential(2).padStart(9)}  ${x.cosine.toFixed(9).padStart(11)}  ${x.tolerance.toExponential(0).padStart(6)}  ${x.ok ? 'ok' : 'FAIL'}`);
  }
  lines.push(r.ok ? 'all quantities within tolerance' : 'SOME QUANTITIES ARE OUT OF TOLERANCE');
  return lines.join('\n') + '\n';
}
