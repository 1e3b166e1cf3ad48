// onnxruntime-node sessions for one model pack. Execution providers are tried in order of preference
// for the platform (CUDA → DirectML → WebGPU on Windows, Core ML → WebGPU on macOS, CUDA on Linux, then
// CPU); any failure to create the sessions falls back to the next one, and the provider that actually
// runs is reported.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { GraphCache, type GraphCacheOptions, type GraphSource, type OpenedGraph } from './graph-cache.js';
import type { ModelPack } from './pack.js';
import { localTokens, workerTokens, type TokenSource } from './token-source.js';
import { ClipTokenizer } from './tokenizer.js';

export const PROVIDER_NAMES = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

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
  /** where optimised graphs are cached (the app's data folder); without it every open optimises afresh */
  graphCacheDir?: string;
  /** test hooks for the cache key (another CPU, another runtime version) and the cached graphs' level */
  graphCache?: Omit<GraphCacheOptions, 'dir'>;
  /** 'lazy' (default): the image tower opens on the first photo; 'eager': with the others (the bulk lane) */
  imageTower?: 'lazy' | 'eager';
  /**
   * The image tower from another graph than the pack's (the int8 twin app/model/int8.ts builds in the
   * data folder); used on the CPU provider only, the GPU providers keep the pack's own graphs.
   */
  imageGraph?: { file: string; sha256: string; precision: 'int8' };
  /** images per image-tower run (default IMAGE_BATCH; the bulk lane passes the probed best) */
  imageBatch?: number;
  /**
   * e_text("") computed by another runtime of the same pack: the text tower is then never opened. The
   * bulk lane needs no other text, and its own text session would hold ~350 MB more for a base pack.
   */
  emptyText?: Float32Array;
  /**
   * Build and run the tokenizer in a worker thread, in parallel with the session opens (the interactive
   * lane: ~0.25 s off its first query on a base pack); default: on this thread.
   */
  tokenizerWorker?: boolean;
}

/**
 * WebGPU (Dawn over D3D12 / Metal / Vulkan, bundled in onnxruntime-node 1.30 for Windows, macOS and
 * Linux x64) comes after the platform's own GPU provider. On Linux it is not a default: there Dawn's
 * only adapter is often a software Vulkan (lavapipe in VMs and containers), which would run the towers
 * far slower than ORT's CPU kernels; a Linux user with a GPU and no CUDA turns it on in Settings.
 */
export function defaultProviders(platform: NodeJS.Platform = process.platform): ProviderName[] {
  if (platform === 'win32') return ['cuda', 'dml', 'webgpu', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'webgpu', 'cpu'];
  return ['cuda', 'cpu'];
}

/** The providers this onnxruntime-node build has for this platform (null when it cannot say). */
function bundledProviders(): Set<string> | null {
  try {
    return new Set(ort.listSupportedBackends().map((b) => b.name));
  } catch {
    return null;
  }
}

/**
 * Why a provider cannot be tried here, without asking ORT (which would log a loud error before failing):
 * a provider this build of onnxruntime-node lacks for the platform (DirectML off Windows, Core ML off
 * macOS, WebGPU on Linux arm64), and CUDA without the provider libraries that onnxruntime-node only
 * fetches in its (optional) postinstall.
 */
export function providerUnavailable(provider: ProviderName): string | null {
  const bundled = bundledProviders();
  if (provider !== 'cuda' && provider !== 'cpu' && bundled && !bundled.has(provider)) return `${provider} is not in onnxruntime-node's build for ${process.platform}-${process.arch}`;
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

export interface SessionReport {
  graph: string;
  source: GraphSource;
  ms: number;
  rejected?: string;
}

/** How each graph of a provider is opened: through the cache when there is one, else optimised at open. */
class GraphOpener {
  readonly reports: SessionReport[] = [];
  constructor(
    private readonly pack: ModelPack,
    private readonly so: ort.InferenceSession.SessionOptions,
    private readonly precision: 'fp32' | 'fp16',
    private readonly cache: GraphCache | null,
    private readonly imageGraph: RuntimeOptions['imageGraph'] | null = null,
  ) {}

  async open(graph: 'image.onnx' | 'text.onnx' | 'fusion.onnx'): Promise<ort.InferenceSession> {
    const t0 = performance.now();
    const fp16 = this.pack.manifest.variants?.fp16;
    const f = this.precision === 'fp16' ? fp16?.[graph] ?? graph : graph;
    const alt = graph === 'image.onnx' ? this.imageGraph : null;
    const file = alt ? alt.file : this.pack.path(f);
    const sha = alt ? alt.sha256 : this.pack.manifest.files[f]?.sha256;
    let opened: OpenedGraph;
    if (this.cache && sha) opened = await this.cache.open(file, sha, this.so);
    else opened = { session: await ort.InferenceSession.create(file, { ...this.so, graphOptimizationLevel: 'all' }), source: 'original' };
    this.reports.push({ graph, source: opened.source, ms: performance.now() - t0, ...(opened.rejected ? { rejected: opened.rejected } : {}) });
    return opened.session;
  }
}

function sessionOptions(provider: ProviderName, threads: number | undefined): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    interOpNumThreads: 1,
    // a missing GPU provider library is an expected fallback, not an error worth ORT's console noise
    ...(provider !== 'cpu' ? { logSeverityLevel: 4 as const } : {}),
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}

export class MagicLensRuntime {
  readonly modelId: string;
  readonly dim: number;
  readonly imageSize: number;
  private emptyText: Promise<Float32Array> | null = null;
  /** providers tried before the one that runs, with the reason each failed */
  readonly fallbacks: { provider: ProviderName; error: string }[];
  readonly precision: 'fp32' | 'fp16';
  /** the image tower's precision: the int8 twin when RuntimeOptions.imageGraph was used */
  imagePrecision: 'fp32' | 'fp16' | 'int8' = 'fp32';
  /** images per image-tower run */
  imageBatch = IMAGE_BATCH;
  /** the image tower, opened on first use: a query on a library photo never needs it */
  private imageP: Promise<ort.InferenceSession> | null;

  private constructor(
    readonly pack: ModelPack,
    readonly provider: ProviderName,
    private tok: ClipTokenizer | null,
    private readonly tokens: TokenSource | null,
    private readonly opener: GraphOpener,
    private readonly text: ort.InferenceSession | null,
    private readonly fusion: ort.InferenceSession,
    fallbacks: { provider: ProviderName; error: string }[],
    precision: 'fp32' | 'fp16',
  ) {
    this.precision = precision;
    this.modelId = pack.manifest.id;
    this.dim = pack.manifest.architecture.embedDim;
    this.imageSize = pack.manifest.image.size;
    this.fallbacks = fallbacks;
    this.imageP = null;
  }

  /** The pack's tokenizer, read on first use when the runtime was opened for images only. */
  get tokenizer(): ClipTokenizer {
    this.tok ??= localTokens(this.pack).tokenizer;
    return this.tok;
  }

  /** How each session was opened so far (graph, cache hit or not, milliseconds). */
  get sessions(): readonly SessionReport[] {
    return this.opener.reports;
  }

  static async open(pack: ModelPack, opts: RuntimeOptions = {}): Promise<MagicLensRuntime> {
    // Images only (e_text("") given): no tokenizer either (~0.2 s of the bulk lane's open on a base pack).
    const tokens = opts.emptyText ? null : opts.tokenizerWorker ? workerTokens(pack) : localTokens(pack);
    const tokenizer = tokens && 'tokenizer' in tokens ? (tokens.tokenizer as ClipTokenizer) : null;
    const providers = [...(opts.providers ?? defaultProviders())];
    if (!providers.includes('cpu')) providers.push('cpu');
    const fallbacks: { provider: ProviderName; error: string }[] = [];
    const fp16 = pack.manifest.variants?.fp16;
    const want = opts.precision ?? 'auto';
    if (want === 'fp16' && !fp16) throw new Error(`model pack ${pack.manifest.id} has no float16 graphs`);
    const cache = opts.graphCacheDir ? new GraphCache({ dir: opts.graphCacheDir, ...opts.graphCache }) : null;
    for (const provider of providers) {
      const missing = providerUnavailable(provider);
      if (missing) { fallbacks.push({ provider, error: missing }); continue; }
      const precision = fp16 && (want === 'fp16' || (want === 'auto' && provider !== 'cpu')) ? 'fp16' : 'fp32';
      const opener = new GraphOpener(pack, sessionOptions(provider, opts.threads), precision, cache, provider === 'cpu' ? opts.imageGraph : null);
      // Text tower and fusion head together (onnxruntime-node builds each synchronously on this thread, in turn); the image tower waits for a photo.
      const made = await Promise.allSettled([opts.emptyText ? Promise.resolve(null) : opener.open('text.onnx'), opener.open('fusion.onnx'), ...(opts.imageTower === 'eager' ? [opener.open('image.onnx')] : [])]);
      const ok = made.flatMap((m) => (m.status === 'fulfilled' && m.value ? [m.value] : []));
      const failed = made.find((m): m is PromiseRejectedResult => m.status === 'rejected');
      // A vocabulary that does not fit the model is the pack's fault, not the provider's: no fallback.
      const badVocab = tokens ? await tokens.ready.then(() => null, (e: Error) => e) : null;
      if (badVocab) {
        for (const s of ok) await s.release().catch(() => {});
        await tokens!.close();
        throw badVocab;
      }
      let rt: MagicLensRuntime | null = null;
      try {
        if (failed) throw failed.reason;
        const [text, fusion, image] = made.map((m) => (m.status === 'fulfilled' ? m.value : null));
        rt = new MagicLensRuntime(pack, provider, tokenizer, tokens, opener, text ?? null, fusion!, fallbacks, precision);
        if (opts.emptyText) {
          if (opts.emptyText.length !== rt.dim) throw new Error(`emptyText: expected ${rt.dim} floats, got ${opts.emptyText.length}`);
          rt.emptyText = Promise.resolve(opts.emptyText.slice());
        }
        rt.imagePrecision = provider === 'cpu' && opts.imageGraph ? 'int8' : precision;
        if (opts.imageBatch) rt.imageBatch = Math.max(1, Math.floor(opts.imageBatch));
        if (image) rt.imageP = Promise.resolve(image);
        if (opts.warmup !== false) await rt.warmup();
        return rt;
      } catch (e) {
        if (rt) await rt.closeSessions().catch(() => {});
        else for (const s of ok) await s.release().catch(() => {});
        fallbacks.push({ provider, error: (e as Error).message.split('\n')[0] ?? String(e) });
      }
    }
    await tokens?.close();
    throw new Error(`could not start model ${pack.manifest.id} on any execution provider: ${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')}`);
  }

  /** The image tower's session, opened on first use. */
  private imageSession(): Promise<ort.InferenceSession> {
    if (!this.imageP) {
      const p = this.opener.open('image.onnx');
      this.imageP = p;
      p.catch(() => {
        if (this.imageP === p) this.imageP = null; // a failed open is retried by the next photo
      });
    }
    return this.imageP;
  }

  /** Frees the image tower's session (the bulk lane's idle release); the next photo opens it again. */
  async releaseImage(): Promise<void> {
    const p = this.imageP;
    this.imageP = null;
    const s = p ? await p.catch(() => null) : null;
    await s?.release();
  }

  /** Opens the image tower now, ahead of the photos that will need it. */
  async openImage(): Promise<void> {
    await this.imageSession();
  }

  /** Runs each open graph once so the first real request is not slow; the image tower only if it is open. */
  async warmup(): Promise<void> {
    const S = this.imageSize;
    const img = this.imageP ? await this.embedImages(new Float32Array(S * S * 3), 1) : new Float32Array(this.dim);
    await this.fuse(img, await this.emptyTextEmbedding(), 1);
  }

  /** pixels: n×S×S×3 normalised NHWC → n×D CLIP image embeddings (unnormalised). */
  async embedImages(pixels: Float32Array, n: number): Promise<Float32Array> {
    const S = this.imageSize;
    if (pixels.length !== n * S * S * 3) throw new Error(`embedImages: expected ${n}×${S}×${S}×3 floats, got ${pixels.length}`);
    if (n === 0) return new Float32Array(0);
    // larger batches can be slower per image on CPU (cache pressure); split into chunks of imageBatch
    const per = S * S * 3;
    const result = new Float32Array(n * this.dim);
    const image = await this.imageSession();
    for (let i = 0; i < n; i += this.imageBatch) {
      const m = Math.min(this.imageBatch, n - i);
      const out = await image.run({ pixels: new ort.Tensor('float32', pixels.subarray(i * per, (i + m) * per), [m, S, S, 3]) });
      result.set(out.image_embed!.data as Float32Array, i * this.dim);
    }
    return result;
  }

  /** n×D CLIP text embeddings; the batch is padded only to its longest text (pad tokens are masked). */
  async embedTexts(texts: string[]): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    const seqs = this.tokens ? await this.tokens.encode(texts) : texts.map((t) => this.tokenizer.encode(t));
    const L = Math.max(...seqs.map((s) => s.length));
    const ids = new BigInt64Array(texts.length * L);
    seqs.forEach((s, i) => s.forEach((v, j) => { ids[i * L + j] = BigInt(v); }));
    if (!this.text) throw new Error('this runtime has no text tower (it was opened for images only)');
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
    await Promise.all([this.closeSessions(), this.tokens?.close()]);
  }

  private async closeSessions(): Promise<void> {
    const image = this.imageP?.catch(() => null);
    this.imageP = null;
    const img = image ? await image : null;
    await Promise.all([img?.release(), this.text?.release(), this.fusion.release()]);
  }
}
