// The bulk (indexing) lane: the image tower + fusion head in their own worker thread, so bulk
// inference never blocks the thread that answers interactive queries. Falls back to running in
// this thread (with a reason) if a worker cannot be started.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ModelPack } from '../model/pack.js';
import { MagicLensRuntime, type ProviderName, type RuntimeOptions } from '../model/runtime.js';
import { startModuleWorker } from '../model/module-worker.js';
import type { Embedder } from './embedder.js';
import { comparePool, PooledEmbedder, poolPlan, type PoolPlan, type PoolProbe } from './lane-pool.js';
import { readCache, remember, reusable } from './batch-probe.js';

export type { Embedder } from './embedder.js';

export interface BulkLaneOptions {
  threads: number;
  providers: ProviderName[];
  graphCacheDir?: string;
  /** the int8 image tower (app/index/precision.ts chooses) */
  imageGraph?: RuntimeOptions['imageGraph'];
  /** images per image-tower run; without it the lane measures the best (app/index/batch-probe.ts) */
  imageBatch?: number;
  /** a pool member: `threads` as given, no thread probe (app/index/lane-pool.ts) */
  fixedThreads?: boolean;
  /** sessions side by side as given, instead of measuring whether they pay (benchmarks, tests) */
  plan?: PoolPlan;
  /** where the batch probe's answer is cached (the data folder); no probe without it */
  probeFile?: string;
  /** e_text("") from the interactive lane: the lane then never opens a text tower (RuntimeOptions.emptyText) */
  emptyText?: Float32Array;
}

export async function openBulkLane(pack: ModelPack, opts: BulkLaneOptions): Promise<Embedder> {
  try {
    if (opts.plan) return await startPool(pack, opts, opts.plan);
    // only a lane that measures its own threads and batch also measures the pool
    const plan = opts.probeFile && !opts.imageBatch ? poolPlan(opts.threads, towerBytes(pack, opts)) : null;
    const probe = plan ? poolProbe(pack, opts, plan) : null;
    if (plan && probe?.known === true) return await startPool(pack, opts, plan);
    const first = await WorkerEmbedder.start(pack, opts);
    if (!plan || !probe || probe.known === false || first.provider !== 'cpu') return first;
    const pool = await startPool(pack, opts, plan);
    const c = await comparePool(first, pool, pack.manifest.image.size);
    probe.save({ ...c, sessions: plan.sessions, at: new Date().toISOString() });
    await (c.pool ? first : pool).close();
    return c.pool ? pool : first;
  } catch (err) {
    const rt = await MagicLensRuntime.open(pack, { ...opts, imageTower: 'eager' });
    return new InlineEmbedder(rt, `bulk worker unavailable: ${(err as Error).message}`);
  }
}

/** The cached pool decision for this machine, graph and thread setting (`known`: null = measure). */
function poolProbe(pack: ModelPack, opts: BulkLaneOptions, plan: PoolPlan): { known: boolean | null; save(p: PoolProbe): void } {
  const file = path.join(path.dirname(opts.probeFile!), 'pool-probe.json');
  const key = [os.cpus()[0]?.model ?? 'cpu', os.availableParallelism(), opts.providers.join(','), opts.imageGraph?.sha256 ?? pack.manifest.files['image.onnx']?.sha256 ?? '', opts.threads].join('|');
  const hit = readCache<PoolProbe>(file)[key];
  const fresh = hit && hit.sessions === plan.sessions && reusable(hit, os.loadavg()[0] ?? 0);
  return { known: fresh ? hit.pool : null, save: (p) => remember(file, key, p) };
}

/** Member 0 measures its batch (unless one was given), the others take it; a member that fails to start closes the rest. */
async function startPool(pack: ModelPack, opts: BulkLaneOptions, plan: PoolPlan): Promise<Embedder> {
  const members: WorkerEmbedder[] = [];
  try {
    const member = { ...opts, threads: plan.threads, fixedThreads: true };
    members.push(await WorkerEmbedder.start(pack, member));
    for (let i = 1; i < plan.sessions; i++) members.push(await WorkerEmbedder.start(pack, { ...member, imageBatch: members[0]!.batch }));
    return new PooledEmbedder(members, members[0]!.batch);
  } catch (err) {
    await Promise.all(members.map((m) => m.close()));
    throw err;
  }
}

/** Bytes of the image graph the lane runs (each pooled session holds a copy). */
function towerBytes(pack: ModelPack, opts: BulkLaneOptions): number {
  try {
    return fs.statSync(opts.imageGraph?.file ?? pack.path('image.onnx')).size;
  } catch {
    return Number.POSITIVE_INFINITY; // unknown: no pool
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
    /** images per image-tower run in the worker (measured or given) */
    readonly batch: number,
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
    const worker = startModuleWorker(import.meta.url, 'bulk-worker', { packDir: pack.dir, threads: opts.threads, providers: opts.providers, graphCacheDir: opts.graphCacheDir, imageGraph: opts.imageGraph, imageBatch: opts.imageBatch, probeFile: opts.probeFile, fixedThreads: opts.fixedThreads, emptyText: opts.emptyText });
    return new Promise((resolve, reject) => {
      const onMsg = (m: { type: string; modelId?: string; dim?: number; provider?: string; batch?: number; error?: string }) => {
        if (m.type === 'ready') {
          worker.off('message', onMsg);
          worker.off('exit', onExit);
          resolve(new WorkerEmbedder(worker, m.modelId!, m.dim!, m.provider!, m.batch!));
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
