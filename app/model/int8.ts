// The int8 twin of a pack's image tower (models/ts/quantize.ts), built once into the data folder and keyed
// by the float32 graph's sha256. Always in the data folder, never inside the pack: the bundled demo pack
// is read-only, and an installed pack's directory stays exactly what its manifest lists. The self-check's
// verdict (app/model/selfcheck.ts) and the precision the store's vectors were made with sit beside it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { quantizeGraph, type QuantizeOptions } from '../../models/ts/quantize.js';
import { startModuleWorker } from './module-worker.js';
import type { ModelPack } from './pack.js';

export type ImagePrecision = 'fp32' | 'int8';

export interface Int8Graph { file: string; sha256: string; sourceSha256: string }

export function int8Dir(dataDir: string): string {
  return path.join(dataDir, 'int8');
}

function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function int8Target(pack: ModelPack, dataDir: string, opts: QuantizeOptions): { file: string; sourceSha256: string } {
  const sourceSha256 = pack.manifest.files['image.onnx']?.sha256;
  if (!sourceSha256) throw new Error(`model pack ${pack.manifest.id} lists no image.onnx`);
  const tag = opts.degrade ? `-degraded${opts.degrade}` : '';
  return { file: path.join(int8Dir(dataDir), `${sourceSha256.slice(0, 24)}${tag}.image.int8.onnx`), sourceSha256 };
}

/** The int8 image tower if it is built already (a stat and a small read: cheap on any thread), else null. */
export function findInt8Graph(pack: ModelPack, dataDir: string, opts: QuantizeOptions = {}): Int8Graph | null {
  const { file, sourceSha256 } = int8Target(pack, dataDir, opts);
  try {
    const n = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as Int8Graph & { bytes: number };
    if (n.sourceSha256 === sourceSha256 && fs.statSync(file).size === n.bytes) return { file, sha256: n.sha256, sourceSha256 };
  } catch {
    /* not built yet, or a half-written build */
  }
  return null;
}

/**
 * The int8 image tower for this pack, built on first use (~2.5 s of one synchronous quantiser run and
 * ~1 GB transient for the base model: the service calls it in a worker, app/index/precision-worker.ts).
 */
export function ensureInt8Graph(pack: ModelPack, dataDir: string, opts: QuantizeOptions = {}): Int8Graph {
  const found = findInt8Graph(pack, dataDir, opts);
  if (found) return found;
  const { file, sourceSha256 } = int8Target(pack, dataDir, opts);
  const note = `${file}.json`;
  fs.mkdirSync(int8Dir(dataDir), { recursive: true });
  // Written beside and renamed into place: two builds at once (the install hook's worker and a first
  // indexing run) each write their own file, and a reader never sees a half-written graph.
  const tmp = path.join(int8Dir(dataDir), `.tmp-${process.pid}-${crypto.randomBytes(6).toString('hex')}.onnx`);
  let r: ReturnType<typeof quantizeGraph>;
  try {
    r = quantizeGraph(pack.path('image.onnx'), tmp, opts);
    if (r.quantised === 0) throw new Error(`model pack ${pack.manifest.id}: no weight MatMul to quantise in image.onnx`);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const sha256 = sha256File(file);
  fs.writeFileSync(note, JSON.stringify({ file: path.basename(file), sha256, sourceSha256, bytes: r.bytesOut, quantised: r.quantised, matmuls: r.matmuls }) + '\n');
  return { file, sha256, sourceSha256 };
}

/** The precision a model's stored vectors were made with (pinned before its first vector is written). */
export function readPinnedPrecision(dataDir: string, modelId: string): ImagePrecision | null {
  try {
    const j = JSON.parse(fs.readFileSync(pinFile(dataDir, modelId), 'utf8')) as { precision?: unknown };
    return j.precision === 'int8' || j.precision === 'fp32' ? j.precision : null;
  } catch {
    return null;
  }
}

export function writePinnedPrecision(dataDir: string, modelId: string, precision: ImagePrecision): void {
  fs.mkdirSync(int8Dir(dataDir), { recursive: true });
  const f = pinFile(dataDir, modelId);
  fs.writeFileSync(`${f}.tmp`, JSON.stringify({ precision, at: new Date().toISOString() }) + '\n');
  fs.renameSync(`${f}.tmp`, f);
}

function pinFile(dataDir: string, modelId: string): string {
  return path.join(int8Dir(dataDir), `vectors-${encodeURIComponent(modelId)}.json`);
}

/** What the bulk lane last chose for this model, for the Models view (null before the first indexing run). */
export function readPrecisionStatus(dataDir: string, modelId: string): { precision: ImagePrecision; reason: string } | null {
  try {
    const j = JSON.parse(fs.readFileSync(path.join(int8Dir(dataDir), `status-${encodeURIComponent(modelId)}.json`), 'utf8')) as { precision?: unknown; reason?: unknown };
    return (j.precision === 'fp32' || j.precision === 'int8') && typeof j.reason === 'string' ? { precision: j.precision, reason: j.reason } : null;
  } catch {
    return null;
  }
}

export function writePrecisionStatus(dataDir: string, modelId: string, s: { precision: ImagePrecision; reason: string }): void {
  fs.mkdirSync(int8Dir(dataDir), { recursive: true });
  fs.writeFileSync(path.join(int8Dir(dataDir), `status-${encodeURIComponent(modelId)}.json`), JSON.stringify(s) + '\n');
}

/**
 * Install hook: the int8 twin is built right after a pack is installed, in a worker thread (one
 * synchronous quantiser run, ~2.5 s for a base pack, would stall the thread that answers queries); it
 * keeps the process alive until it is done. Only when no worker can start is it built here; a failure
 * only means float32 (the first indexing run builds it then, or says why not).
 */
export function buildInt8AfterInstall(pack: ModelPack, dataDir: string): string | null {
  try {
    const worker = startModuleWorker(import.meta.url, 'int8-build-worker', { packDir: pack.dir, dataDir });
    worker.on('message', (m: { type: string }) => {
      if (m.type === 'fatal') buildHere(pack, dataDir); // its module could not load: build it here after all
    });
    worker.on('error', () => {});
    return null;
  } catch {
    return buildHere(pack, dataDir);
  }
}

function buildHere(pack: ModelPack, dataDir: string): string | null {
  try {
    ensureInt8Graph(pack, dataDir);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
