// onnxruntime-node sessions for one model pack. Execution providers are tried in order of preference
// for the platform (CUDA → DirectML → CoreML → CPU); any failure to create the sessions falls back to
// the next one, and the provider that actually runs is reported.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { ModelPack } from './pack.js';
import { ClipTokenizer } from './tokenizer.js';

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

export interface RuntimeOptions {
  threads?: number;
  providers?: ProviderName[];
  /** run each graph once at open so the first real request is not slow (default true) */
  warmup?: boolean;
  /**
   * 'auto' (default): the pack's float16 towers on a GPU provider when the pack has them, float32 on CPU
   * (ORT's CPU kernels would insert casts and run fp16 slower than fp32).
   */
  precision?: 'auto' | 'fp32' | 'fp16';
}

export function defaultProviders(platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (platform === 'win32') return ['cuda', 'dml', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  return ['cuda', 'cpu'];
}

/**
 * CUDA needs provider libraries that onnxruntime-node only fetches in its (optional) postinstall; when
 * they are absent we skip CUDA without asking ORT, which would log a loud error before failing.
 */
export function providerUnavailable(provider: ProviderName): string | null {
  if (provider !== 'cuda') return null;
  if (process.platform !== 'linux' && process.platform !== 'win32') return 'CUDA is only available on Linux and Windows';
  try {
    const binDir = path.join(path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return fs.existsSync(path.join(binDir, lib)) ? null : `CUDA provider library ${lib} is not installed`;
  } catch {
    return null;
  }
}

/** measured on CPU: ViT-B/16 runs fastest per image at batch ~8 (batch 32 is slower per image) */
export const IMAGE_BATCH = 8;

export class MagicLensRuntime {
  readonly modelId: string;
  readonly dim: number;
  readonly imageSize: number;
  private emptyText: Promise<Float32Array> | null = null;
  /** providers tried before the one that runs, with the reason each failed */
  readonly fallbacks: { provider: ProviderName; error: string }[];
  readonly precision: 'fp32' | 'fp16';

  private constructor(
    readonly pack: ModelPack,
    readonly provider: ProviderName,
    readonly tokenizer: ClipTokenizer,
    private readonly image: ort.InferenceSession,
    private readonly text: ort.InferenceSession,
    private readonly fusion: ort.InferenceSession,
    fallbacks: { provider: ProviderName; error: string }[],
    precision: 'fp32' | 'fp16',
  ) {
    this.precision = precision;
    this.modelId = pack.manifest.id;
    this.dim = pack.manifest.architecture.embedDim;
    this.imageSize = pack.manifest.image.size;
    this.fallbacks = fallbacks;
  }

  static async open(pack: ModelPack, opts: RuntimeOptions = {}): Promise<MagicLensRuntime> {
    const tokenizer = ClipTokenizer.fromFile(pack.path(pack.manifest.tokenizer.file));
    if (tokenizer.vocabSize !== pack.manifest.architecture.vocabSize) {
      throw new Error(`model pack ${pack.manifest.id}: vocabulary has ${tokenizer.vocabSize} tokens, model expects ${pack.manifest.architecture.vocabSize}`);
    }
    const providers = opts.providers ?? defaultProviders();
    if (!providers.includes('cpu')) providers.push('cpu');
    const fallbacks: { provider: ProviderName; error: string }[] = [];
    for (const provider of providers) {
      const missing = providerUnavailable(provider);
      if (missing) { fallbacks.push({ provider, error: missing }); continue; }
      const so: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        interOpNumThreads: 1,
        // a missing GPU provider library is an expected fallback, not an error worth ORT's console noise
        ...(provider !== 'cpu' ? { logSeverityLevel: 4 as const } : {}),
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      };
      const made: ort.InferenceSession[] = [];
      const fp16 = pack.manifest.variants?.fp16;
      const want = opts.precision ?? 'auto';
      if (want === 'fp16' && !fp16) throw new Error(`model pack ${pack.manifest.id} has no float16 graphs`);
      const precision = fp16 && (want === 'fp16' || (want === 'auto' && provider !== 'cpu')) ? 'fp16' : 'fp32';
      const file = (f: string) => (precision === 'fp16' ? fp16?.[f] ?? f : f);
      try {
        for (const f of ['image.onnx', 'text.onnx', 'fusion.onnx']) made.push(await ort.InferenceSession.create(pack.path(file(f)), so));
        const rt = new MagicLensRuntime(pack, provider, tokenizer, made[0]!, made[1]!, made[2]!, fallbacks, precision);
        if (opts.warmup !== false) await rt.warmup();
        return rt;
      } catch (e) {
        for (const s of made) await s.release().catch(() => {});
        fallbacks.push({ provider, error: (e as Error).message.split('\n')[0] ?? String(e) });
      }
    }
    throw new Error(`could not start model ${pack.manifest.id} on any execution provider: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
  }

  async warmup(): Promise<void> {
    const S = this.imageSize;
    const img = await this.embedImages(new Float32Array(S * S * 3), 1);
    await this.fuse(img, await this.emptyTextEmbedding(), 1);
  }

  /** pixels: n×S×S×3 normalised NHWC → n×D CLIP image embeddings (unnormalised). */
  async embedImages(pixels: Float32Array, n: number): Promise<Float32Array> {
    const S = this.imageSize;
    if (pixels.length !== n * S * S * 3) throw new Error(`embedImages: expected ${n}×${S}×${S}×3 floats, got ${pixels.length}`);
    if (n === 0) return new Float32Array(0);
    // larger batches are slower per image on CPU (cache pressure); split into chunks of IMAGE_BATCH
    const per = S * S * 3;
    const result = new Float32Array(n * this.dim);
    for (let i = 0; i < n; i += IMAGE_BATCH) {
      const m = Math.min(IMAGE_BATCH, n - i);
      const out = await this.image.run({ pixels: new ort.Tensor('float32', pixels.subarray(i * per, (i + m) * per), [m, S, S, 3]) });
      result.set(out.image_embed!.data as Float32Array, i * this.dim);
    }
    return result;
  }

  /** n×D CLIP text embeddings; the batch is padded only to its longest text (pad tokens are masked). */
  async embedTexts(texts: string[]): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    const seqs = texts.map((t) => this.tokenizer.encode(t));
    const L = Math.max(...seqs.map((s) => s.length));
    const ids = new BigInt64Array(texts.length * L);
    seqs.forEach((s, i) => s.forEach((v, j) => { ids[i * L + j] = BigInt(v); }));
    const out = await this.text.run({ ids: new ort.Tensor('int64', ids, [texts.length, L]) });
    return out.text_embed!.data as Float32Array;
  }

  async embedText(text: string): Promise<Float32Array> {
    return this.embedTexts([text]);
  }

  /** e_text(""), computed once. */
  emptyTextEmbedding(): Promise<Float32Array> {
    this.emptyText ??= this.embedText('');
    return this.emptyText;
  }

  private async fuseBoth(imageEmb: Float32Array, textEmb: Float32Array, n: number): Promise<{ embedding: Float32Array; unnorm: Float32Array }> {
    const D = this.dim;
    if (imageEmb.length !== n * D) throw new Error(`fuse: expected ${n}×${D} image embeddings, got ${imageEmb.length} floats`);
    let t = textEmb;
    if (textEmb.length === D && n !== 1) {
      t = new Float32Array(n * D);
      for (let i = 0; i < n; i++) t.set(textEmb, i * D);
    } else if (textEmb.length !== n * D) {
      throw new Error(`fuse: expected ${n}×${D} or ${D} text embedding floats, got ${textEmb.length}`);
    }
    if (n === 0) return { embedding: new Float32Array(0), unnorm: new Float32Array(0) };
    const out = await this.fusion.run({
      image_embed: new ort.Tensor('float32', imageEmb, [n, D]),
      text_embed: new ort.Tensor('float32', t, [n, D]),
    });
    return { embedding: out.embedding!.data as Float32Array, unnorm: out.embedding_unnorm!.data as Float32Array };
  }

  /** n×D L2-normalised MagicLens embeddings; textEmb is n×D or one D vector for all n. */
  async fuse(imageEmb: Float32Array, textEmb: Float32Array, n: number): Promise<Float32Array> {
    return (await this.fuseBoth(imageEmb, textEmb, n)).embedding;
  }

  /** As fuse, with the unnormalised embedding too (used by `model verify`). */
  async fuseWithUnnorm(imageEmb: Float32Array, textEmb: Float32Array, n: number): Promise<{ embedding: Float32Array; unnorm: Float32Array }> {
    return this.fuseBoth(imageEmb, textEmb, n);
  }

  /** Index-side embeddings: fuse with e_text(""). */
  async targetEmbeddings(imageEmb: Float32Array, n: number): Promise<Float32Array> {
    return this.fuse(imageEmb, await this.emptyTextEmbedding(), n);
  }

  async close(): Promise<void> {
    await Promise.all([this.image.release(), this.text.release(), this.fusion.release()]);
  }
}
