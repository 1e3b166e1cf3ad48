// Which image tower the bulk lane runs: float32 or its int8 twin. The rule that keeps the store clean:
// a model's stored vectors all come from ONE precision. The precision is pinned when the model's
// vector tables are still empty (before its first vector is written) and kept for as long as it has
// vectors; a different wish (the self-check's verdict, or the user's setting) takes effect when the
// library is next embedded from scratch for that model (a new model, a re-install, an upgrade), never
// for "new photos only". Why not re-embed at once: on the base model a re-embed is the whole indexing
// wait again (hours for a large library) for a 2-3× speed-up of future photos, and a half re-embedded
// store would mix the two; why not int8 for new photos only: int8 and float32 vectors of one photo differ
// by ~1e-4-1e-3 in cosine, small, but a store that mixes them could no longer be checked against
// either tower, and the self-check's guarantee is about one tower against the other, not mixtures.
import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from '../paths.js';
import { ensureInt8Graph, findInt8Graph, int8Dir, readPinnedPrecision, writePinnedPrecision, writePrecisionStatus, type ImagePrecision, type Int8Graph } from '../model/int8.js';
import type { QuantizeOptions } from '../../models/ts/quantize.js';
import type { ModelPack } from '../model/pack.js';
import { readSelfCheck, runSelfCheck, type SelfCheckResult } from '../model/selfcheck.js';
import { startModuleWorker } from '../model/module-worker.js';

export type PrecisionSetting = 'auto' | 'fp32' | 'int8';

export interface PrecisionChoice {
  precision: ImagePrecision;
  /** the int8 graph to open (precision 'int8' only) */
  imageGraph: { file: string; sha256: string; precision: 'int8' } | null;
  /** one line for the Models view: what runs and why */
  reason: string;
}

export interface PrecisionDeps {
  dataDir: string;
  setting: PrecisionSetting;
  /** whether the model's vector tables hold any vector now */
  hasVectors: boolean;
  /** up to n of the user's photos for the self-check (the bundled samples are used when empty) */
  photoPaths?: (n: number) => string[];
  threads?: number;
  /** test hook: how the int8 twin is made (a deliberately degraded one) */
  quantize?: QuantizeOptions;
}

export const SAMPLE_PHOTOS_DIR = path.join(APP_ROOT, 'models', 'samples', 'photos');

function samplePaths(): string[] {
  try {
    return fs.readdirSync(SAMPLE_PHOTOS_DIR).sort().map((f) => path.join(SAMPLE_PHOTOS_DIR, f));
  } catch {
    return [];
  }
}

/** What the one-shot worker (app/index/precision-worker.ts) is asked to do. */
export interface Int8Job {
  packDir: string;
  dataDir: string;
  quantize?: QuantizeOptions;
  /** run the self-check (unless its verdict is cached) on these photos */
  check?: { files: string[]; threads: number };
}

type JobResult = { graph: Int8Graph; check: SelfCheckResult | null };

/** A failed job says which part failed: building the graph, or checking it. */
export class Int8JobError extends Error {
  constructor(readonly stage: 'build' | 'check', message: string) {
    super(message);
  }
}

/** The same job on this thread: only when no worker can start. */
async function jobHere(pack: ModelPack, job: Int8Job): Promise<JobResult> {
  let graph: Int8Graph;
  try {
    graph = ensureInt8Graph(pack, job.dataDir, job.quantize);
  } catch (err) {
    throw new Int8JobError('build', (err as Error).message);
  }
  try {
    const check = job.check ? readSelfCheck(job.dataDir, graph) ?? await runSelfCheck(pack, graph, job.check.files, job.dataDir, { threads: job.check.threads }) : null;
    return { graph, check };
  } catch (err) {
    throw new Int8JobError('check', (err as Error).message);
  }
}

/**
 * Builds the int8 graph and/or runs the self-check in a worker thread: on this thread they would stall
 * every query (measured on the demo pack: a 0.44 s event-loop stall; base pack ~25 s of work).
 */
export function runInt8Job(pack: ModelPack, job: Int8Job): Promise<JobResult> {
  let worker: ReturnType<typeof startModuleWorker>;
  try {
    worker = startModuleWorker(import.meta.url, 'precision-worker', job);
  } catch {
    return jobHere(pack, job);
  }
  return new Promise<JobResult>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (m: { type: string; error?: string; stage?: 'build' | 'check' } & Partial<JobResult>) => {
      if (m.type === 'done') finish(() => resolve({ graph: m.graph!, check: m.check ?? null }));
      else if (m.type === 'error') finish(() => reject(new Int8JobError(m.stage ?? 'build', m.error ?? 'failed')));
      else if (m.type === 'fatal') finish(() => resolve(jobHere(pack, job))); // the worker could not load its module
    });
    worker.on('error', (e) => finish(() => reject(e)));
    worker.on('exit', (code) => finish(() => reject(new Error(`int8 worker exited (${code})`))));
  });
}

/** The precision the user's setting and the self-check ask for, with the reason (before pinning). */
async function wanted(pack: ModelPack, d: PrecisionDeps): Promise<{ precision: ImagePrecision; graph: Int8Graph | null; reason: string }> {
  if (d.setting === 'fp32') return { precision: 'fp32', graph: null, reason: 'float32 image tower: set in Settings' };
  let graph = findInt8Graph(pack, d.dataDir, d.quantize);
  let check = graph ? readSelfCheck(d.dataDir, graph) : null;
  if (!graph || (d.setting === 'auto' && !check)) {
    const own = d.setting === 'auto' ? d.photoPaths?.(64) ?? [] : [];
    const job: Int8Job = { packDir: pack.dir, dataDir: d.dataDir, ...(d.quantize ? { quantize: d.quantize } : {}), ...(d.setting === 'auto' ? { check: { files: own.length >= 8 ? own : [...own, ...samplePaths()], threads: d.threads ?? 2 } } : {}) };
    try {
      ({ graph, check } = await runInt8Job(pack, job));
    } catch (err) {
      const what = err instanceof Int8JobError && err.stage === 'check' ? 'the int8 self-check could not run' : 'the int8 graph could not be built';
      return { precision: 'fp32', graph: null, reason: `float32 image tower: ${what} (${(err as Error).message})` };
    }
  }
  if (d.setting === 'int8') return { precision: 'int8', graph, reason: 'int8 image tower: set in Settings (self-check not required)' };
  if (!check) return { precision: 'fp32', graph: null, reason: 'float32 image tower: the int8 self-check gave no verdict' };
  return { precision: check.passed ? 'int8' : 'fp32', graph: check.passed ? graph : null, reason: check.reason };
}

/** Decides the bulk lane's image tower; pins the precision when the model has no vectors yet. */
export async function chooseImagePrecision(pack: ModelPack, d: PrecisionDeps): Promise<PrecisionChoice> {
  const id = pack.manifest.id;
  const w = await wanted(pack, d);
  // Vectors written before int8 existed carry no pin: they are float32.
  const pinned = d.hasVectors ? readPinnedPrecision(d.dataDir, id) ?? 'fp32' : null;
  let precision = w.precision;
  let reason = w.reason;
  if (pinned && pinned !== w.precision) {
    precision = pinned;
    reason = `${pinned === 'fp32' ? 'float32' : 'int8'} image tower kept: this library's vectors were made with it and the store never mixes the two; ${w.precision} applies when the library is next embedded from scratch (${w.reason})`;
  }
  if (!pinned) writePinnedPrecision(d.dataDir, id, precision);
  let graph = precision === 'int8' ? w.graph : null;
  if (precision === 'int8' && !graph) {
    try {
      graph = findInt8Graph(pack, d.dataDir, d.quantize) ?? (await runInt8Job(pack, { packDir: pack.dir, dataDir: d.dataDir, ...(d.quantize ? { quantize: d.quantize } : {}) })).graph;
    } catch (err) {
      throw new Error(`this library's vectors were made with the int8 image tower, which cannot be rebuilt: ${(err as Error).message}`, { cause: err });
    }
  }
  writePrecisionStatus(d.dataDir, id, { precision, reason });
  return { precision, imageGraph: graph ? { file: graph.file, sha256: graph.sha256, precision: 'int8' } : null, reason };
}

/** What openBulkLane needs from the precision choice, given the lane's own dependencies. */
export async function bulkImageOptions(pack: ModelPack, d: { dataDir: string; setting?: PrecisionSetting; vectors: { modelKey(id: string): number | undefined; count(key: number, kind: 'target'): number }; threads?: number; photoPaths?: (n: number) => string[] }): Promise<{ imageGraph?: PrecisionChoice['imageGraph'] & object; probeFile: string }> {
  const key = d.vectors.modelKey(pack.manifest.id);
  const choice = await chooseImagePrecision(pack, {
    dataDir: d.dataDir, setting: d.setting ?? 'auto', hasVectors: key !== undefined && d.vectors.count(key, 'target') > 0,
    ...(d.threads ? { threads: d.threads } : {}), ...(d.photoPaths ? { photoPaths: d.photoPaths } : {}),
  });
  // the bulk lane measures its image batch once per machine/graph/threads (app/index/batch-probe.ts)
  const probeFile = path.join(int8Dir(d.dataDir), 'batch-probe.json');
  return choice.imageGraph ? { imageGraph: choice.imageGraph, probeFile } : { probeFile };
}
