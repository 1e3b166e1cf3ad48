// The model as the benchmarks see it: image files (or bytes) in, embeddings out, for the three ways of searching
// that the quality tables compare — MagicLens composed queries (photo + instruction), CLIP text search (the peers'
// rclip/Immich approach) and plain image similarity.
import { preprocessImage, specFromManifest, type PreprocessSpec } from '../../app/media/preprocess.js';
import { loadPack } from '../../app/model/pack.js';
import { MagicLensRuntime, type ProviderName } from '../../app/model/runtime.js';
import { normalizeRows } from './rank.js';

export type ImageInput = string | Buffer;

export interface EncodedImages {
  /** CLIP image embeddings, L2-normalised (for text search and image similarity) */
  clip: Float32Array;
  /** MagicLens target embeddings fuse(e_img, e_text("")), L2-normalised (what composed queries rank against) */
  target: Float32Array;
  /** raw CLIP image embeddings (unnormalised: the fusion head's input) */
  clipRaw: Float32Array;
}

export interface EvalModel {
  readonly id: string;
  readonly dim: number;
  readonly demo: boolean;
  encodeImages(inputs: readonly ImageInput[], onProgress?: (done: number, total: number) => void): Promise<EncodedImages>;
  /** Composed queries: fuse(raw CLIP image embedding i, e_text(texts[i])) → n×D, L2-normalised. */
  composedQueries(clipRaw: Float32Array, texts: readonly string[]): Promise<Float32Array>;
  /** CLIP text embeddings, L2-normalised (text → image search against `clip`). */
  textQueries(texts: readonly string[]): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface OpenModelOptions {
  threads?: number;
  providers?: ProviderName[];
  batch?: number;
}

export async function openPackModel(packDir: string, opts: OpenModelOptions = {}): Promise<EvalModel> {
  const pack = await loadPack(packDir, { verifyHashes: false });
  const rt = await MagicLensRuntime.open(pack, { threads: opts.threads, providers: opts.providers });
  const spec: PreprocessSpec = specFromManifest(pack.manifest);
  const batch = opts.batch ?? 8;
  const D = rt.dim;
  const S = rt.imageSize;
  const textCache = new Map<string, Float32Array>();

  async function textEmb(texts: readonly string[]): Promise<Float32Array> {
    const missing = [...new Set(texts.filter((t) => !textCache.has(t)))];
    for (let s = 0; s < missing.length; s += 32) {
      const chunk = missing.slice(s, s + 32);
      const e = await rt.embedTexts(chunk);
      chunk.forEach((t, i) => textCache.set(t, e.slice(i * D, (i + 1) * D)));
    }
    const out = new Float32Array(texts.length * D);
    texts.forEach((t, i) => out.set(textCache.get(t) as Float32Array, i * D));
    return out;
  }

  return {
    id: pack.manifest.id,
    dim: D,
    demo: pack.manifest.demo,
    async encodeImages(inputs, onProgress) {
      const n = inputs.length;
      const clipRaw = new Float32Array(n * D);
      const target = new Float32Array(n * D);
      for (let s = 0; s < n; s += batch) {
        const m = Math.min(batch, n - s);
        const px = new Float32Array(m * S * S * 3);
        const decoded = await Promise.all(inputs.slice(s, s + m).map((p) => preprocessImage(p, spec)));
        decoded.forEach((d, i) => px.set(d, i * S * S * 3));
        const e = await rt.embedImages(px, m);
        clipRaw.set(e, s * D);
        target.set(await rt.targetEmbeddings(e, m), s * D);
        onProgress?.(s + m, n);
      }
      return { clip: normalizeRows(clipRaw.slice(), D), target: normalizeRows(target, D), clipRaw };
    },
    async composedQueries(clipRaw, texts) {
      const n = texts.length;
      const out = new Float32Array(n * D);
      for (let s = 0; s < n; s += 64) {
        const m = Math.min(64, n - s);
        const t = await textEmb(texts.slice(s, s + m));
        out.set(await rt.fuse(clipRaw.subarray(s * D, (s + m) * D), t, m), s * D);
      }
      return normalizeRows(out, D);
    },
    async textQueries(texts) {
      return normalizeRows((await textEmb(texts)).slice(), D);
    },
    close: () => rt.close(),
  };
}
