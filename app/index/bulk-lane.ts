// The bulk (indexing) lane: the image tower + fusion head in their own worker thread, so bulk
// inference never blocks the thread that answers interactive queries. Falls back to running in
// this thread (with a reason) if a worker cannot be started.
import type { Worker } from 'node:worker_threads';
import type { ModelPack } from '../model/pack.js';
import { MagicLensRuntime, type ProviderName, type RuntimeOptions } from '../model/runtime.js';
import { startModuleWorker } from '../model/module-worker.js';

export interface BulkLaneOptions {
  threads: number;
  providers: ProviderName[];
  graphCacheDir?: string;
  /** the int8 image tower (app/index/precision.ts chooses) */
  imageGraph?: RuntimeOptions['imageGraph'];
  /** images per image-tower run; without it the lane measures the best (app/index/batch-probe.ts) */
  imageBatch?: number;
  /** where the batch probe's answer is cached (the data folder); no probe without it */
  probeFile?: string;
  /** e_text("") from the interactive lane: the lane then never opens a text tower (RuntimeOptions.emptyText) */
  emptyText?: Float32Array;
}

export interface Embedder {
  readonly modelId: string;
  readonly dim: number;
  readonly provider: string;
  /** n images (NHWC, normalised) → n×D CLIP image embeddings and n×D target embeddings. */
  embed(pixels: Float32Array, n: number): Promise<{ clip: Float32Array; target: Float32Array }>;
  close(): Promise<void>;
  /**
   * The idle release: frees the image tower's session (most of the lane's memory) and keeps the rest
   * (worker, fusion head, e_text("")), so reopening costs one session open from the cached graph.
   */
  idle(): Promise<void>;
  /** Opens the image tower again after idle() (embed() also does, on its first batch). */
  wake(): Promise<void>;
  /** False between idle() and the next wake() or embed(). */
  readonly imageOpen: boolean;
  /** Why the worker thread was not used (null when it is). */
  readonly fallbackReason: string | null;
  /** False once the lane can no longer run (its worker exited). */
  readonly alive: boolean;
}

export async function openBulkLane(pack: ModelPack, opts: BulkLaneOptions): Promise<Embedder> {
  try {
    return await WorkerEmbedder.start(pack, opts);
  } catch (err) {
    const rt = await MagicLensRuntime.open(pack, { ...opts, imageTower: 'eager' });
    return new InlineEmbedder(rt, `bulk worker unavailable: ${(err as Error).message}`);
  }
}

class InlineEmbedder implements Embedder {
  readonly alive = true;
  imageOpen = true;
  constructor(
    private readonly rt: MagicLensRuntime,
    readonly fallbackReason: string | null,
  ) {}
  get modelId() {
    return this.rt.modelId;
  }
  get dim() {
    return this.rt.dim;
  }
  get provider() {
    return this.rt.provider;
  }
  async embed(pixels: Float32Array, n: number) {
    this.imageOpen = true;
    const clip = await this.rt.embedImages(pixels, n);
    return { clip, target: await this.rt.targetEmbeddings(clip, n) };
  }
  close() {
    return this.rt.close();
  }
  idle() {
    this.imageOpen = false;
    return this.rt.releaseImage();
  }
  wake() {
    this.imageOpen = true;
    return this.rt.openImage();
  }
}

type Pending = { resolve: (v: never) => void; reject: (e: Error) => void };

class WorkerEmbedder implements Embedder {
  readonly fallbackReason = null;
  imageOpen = true;
  private seq = 0;
  private pending = new Map<number, Pending>();
  private dead: Error | null = null;
  get alive(): boolean {
    return this.dead === null;
  }

  private constructor(
    private readonly worker: Worker,
    readonly modelId: string,
    readonly dim: number,
    readonly provider: string,
  ) {
    worker.on('message', (m: { type: string; id?: number; clip?: Float32Array; target?: Float32Array; error?: string }) => {
      if (m.type !== 'result' || m.id === undefined) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve((m.clip ? { clip: m.clip, target: m.target! } : undefined) as never);
    });
    const fail = (e: Error) => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`bulk worker exited (${code})`)));
  }

  static start(pack: ModelPack, opts: BulkLaneOptions): Promise<WorkerEmbedder> {
    const worker = startModuleWorker(import.meta.url, 'bulk-worker', { packDir: pack.dir, threads: opts.threads, providers: opts.providers, graphCacheDir: opts.graphCacheDir, imageGraph: opts.imageGraph, imageBatch: opts.imageBatch, probeFile: opts.probeFile, emptyText: opts.emptyText });
    return new Promise((resolve, reject) => {
      const onMsg = (m: { type: string; modelId?: string; dim?: number; provider?: string; error?: string }) => {
        if (m.type === 'ready') {
          worker.off('message', onMsg);
          worker.off('exit', onExit);
          resolve(new WorkerEmbedder(worker, m.modelId!, m.dim!, m.provider!));
        } else if (m.type === 'fatal') {
          worker.off('message', onMsg);
          void worker.terminate();
          reject(new Error(m.error));
        }
      };
      // A worker that exits before 'ready' (its entry import never settled, nothing kept its loop
      // alive) sends neither message nor error: without this the caller would wait forever.
      const onExit = (code: number) => reject(new Error(`bulk worker exited (${code}) before its model opened`));
      worker.on('message', onMsg);
      worker.once('error', reject);
      worker.once('exit', onExit);
    });
  }

  embed(pixels: Float32Array, n: number): Promise<{ clip: Float32Array; target: Float32Array }> {
    this.imageOpen = true;
    // Transfer: the pixel batch (MBs) moves to the worker without a copy.
    return this.send({ pixels, n }, [pixels.buffer as ArrayBuffer]);
  }

  idle(): Promise<void> {
    this.imageOpen = false;
    return this.send({ op: 'idle' });
  }

  wake(): Promise<void> {
    this.imageOpen = true;
    return this.send({ op: 'wake' });
  }

  private send<T>(msg: object, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject });
      this.worker.postMessage({ id, ...msg }, transfer);
    });
  }

  async close(): Promise<void> {
    if (this.dead) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      this.worker.on('message', (m: { type: string }) => {
        if (m.type === 'closed') {
          clearTimeout(t);
          resolve();
        }
      });
      this.worker.postMessage({ close: true });
    });
    await this.worker.terminate();
  }
}
