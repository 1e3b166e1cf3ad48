// Installing the official MagicLens model: fetch (or take a chosen local) checkpoint + CLIP BPE vocabulary
// (what is accepted: install-inputs.ts),
// convert to a pack in a temporary folder inside the registry, verify it loads and runs, then move it
// into place. Any failure leaves the registry as it was.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { convertCheckpoint } from '../../models/ts/convert.js';
import { fallbackHint } from './catalogue.js';
import { checkLocalInput, DownloadError, downloadInput, dropDownload, InstallLock, resolveSource, uploadedCheckpointPath, type InputFile, type InputKind } from './install-inputs.js';
import { buildInt8AfterInstall } from './int8.js';
import { loadPack } from './pack.js';
import { ModelRegistry } from './registry.js';
import { MagicLensRuntime } from './runtime.js';
import type { Manifest } from '../../models/ts/pack-manifest.js';

export { CATALOGUE, DEFAULT_CHECKPOINT_URL, DEFAULT_VOCAB_URL, KNOWN_SHA256, LARGE_CHECKPOINT_URL } from './install-inputs.js';

export type InstallPhase = 'download-checkpoint' | 'download-vocab' | 'convert' | 'verify' | 'install' | 'done';
export interface InstallProgress { phase: InstallPhase; done: number; total: number; message?: string; ratePerSec?: number; etaSec?: number | null }

export interface PackSummary {
  id: string;
  name: string;
  dir: string;
  demo: boolean;
  embedDim: number;
  imageSize: number;
  bytes: number;
  provider: string;
  seconds: number;
}

export interface InstallOptions {
  dataDir: string;
  checkpoint: string;
  vocab: string;
  name?: string;
  id?: string;
  preprocessing?: 'squash' | 'center-crop';
  /** also build float16 image/text towers, used on GPU execution providers */
  fp16?: boolean;
  onProgress?: (p: InstallProgress) => void;
  signal?: AbortSignal;
}

async function fetchInput(src: string, downloads: string, phase: InstallPhase, kind: InputKind, o: InstallOptions): Promise<InputFile> {
  const source = resolveSource(kind, src);
  if (source.type === 'local') return checkLocalInput(kind, source.path);
  try {
    return await downloadInput(source, downloads, {
      signal: o.signal,
      onProgress: (done, total, message, ratePerSec, etaSec) => o.onProgress?.({ phase, done, total, message, ratePerSec, etaSec }),
    });
  } catch (e) {
    // a failed checkpoint download (other than a cancel) offers the other ways to get the file
    if (kind !== 'checkpoint' || !(e instanceof DownloadError) || e.kind === 'cancelled') throw e;
    throw new DownloadError(`${e.message}. ${fallbackHint(source.file)}`, e.kind);
  }
}

async function sha256Of(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const c of fs.createReadStream(file, { highWaterMark: 1 << 22 })) h.update(c as Buffer);
  return h.digest('hex');
}

function defaultIdentity(m: Pick<Manifest, 'architecture'>, checkpointName: string): { id: string; name: string } {
  const a = m.architecture;
  if (a.embedDim === 512 && a.visionWidth === 768 && a.visionLayers === 12 && a.patchSize === 16) return { id: 'magiclens-base', name: 'MagicLens-B (CLIP ViT-B/16)' };
  if (a.embedDim === 768 && a.visionWidth === 1024 && a.visionLayers === 24 && a.patchSize === 14) return { id: 'magiclens-large', name: 'MagicLens-L (CLIP ViT-L/14)' };
  const h = crypto.createHash('sha256').update(JSON.stringify(a)).update(checkpointName).digest('hex').slice(0, 8);
  return { id: `magiclens-custom-${h}`, name: `MagicLens (${checkpointName})` };
}

/** Installs under an exclusive per-data-folder lock (InstallBusyError when one is running). Both
 *  inputs are checked before any download starts, so a refused URL or path costs nothing. */
export async function installOfficialModel(o: InstallOptions): Promise<PackSummary> {
  resolveSource('checkpoint', o.checkpoint);
  resolveSource('vocab', o.vocab);
  const lock = InstallLock.acquire(o.dataDir);
  // an uploaded checkpoint is the app's copy, not the user's file: it goes whatever the outcome
  const upload = uploadedCheckpointPath(o.dataDir);
  const fromUpload = path.resolve(o.checkpoint) === upload;
  try {
    const downloads = path.join(o.dataDir, 'downloads');
    const ck = await fetchInput(o.checkpoint, downloads, 'download-checkpoint', 'checkpoint', o);
    const vocab = await fetchInput(o.vocab, downloads, 'download-vocab', 'vocab', o);
    o.signal?.throwIfAborted();
    try {
      return await convertAndInstall(o, ck, vocab);
    } finally {
      // a finished download is dropped whether it converted (the pack now holds what it needs)
      // or not (its content is bad); only a .part of an interrupted download is kept for resume
      for (const f of [ck, vocab]) dropDownload(f);
    }
  } finally {
    if (fromUpload) fs.rmSync(upload, { force: true });
    lock.release();
  }
}

async function convertAndInstall(o: InstallOptions, ck: InputFile, vocab: InputFile): Promise<PackSummary> {
  const t0 = performance.now();
  const progress = o.onProgress ?? (() => {});
  const registry = new ModelRegistry(o.dataDir);
  fs.mkdirSync(registry.modelsDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(registry.modelsDir, '.converting-'));
  try {
    const manifest = await convertCheckpoint({
      checkpoint: ck.file, vocab: vocab.file, outDir: work,
      id: o.id ?? 'pending', name: o.name ?? 'pending',
      source: ck.source,
      description: 'Official MagicLens weights (google-deepmind/magiclens), converted to ONNX on this computer',
      preprocessing: o.preprocessing,
      fp16: o.fp16,
      onProgress: (p) => progress({ phase: 'convert', done: p.done, total: p.total, message: p.step }),
    });
    // name the pack after what the checkpoint turned out to be
    const ident = defaultIdentity(manifest, ck.name);
    // the checkpoint's identity, so a pack can be traced to (and checked against) what it came from
    const checkpoint = { file: ck.name, bytes: fs.statSync(ck.file).size, sha256: await sha256Of(ck.file) };
    const final = { ...manifest, id: o.id ?? ident.id, name: o.name ?? ident.name, checkpoint };
    fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(final, null, 2) + '\n');
    o.signal?.throwIfAborted();
    progress({ phase: 'verify', done: 0, total: 1, message: 'checking the converted model runs' });
    const provider = await smokeTest(work);
    progress({ phase: 'verify', done: 1, total: 1 });
    progress({ phase: 'install', done: 0, total: 1 });
    const installed = await registry.install(work, { move: true });
    progress({ phase: 'install', done: 1, total: 1 });
    // the int8 image tower beside it in the data folder (its self-check runs at the first indexing)
    buildInt8AfterInstall(installed, o.dataDir);
    const bytes = Object.values(installed.manifest.files).reduce((s, f) => s + f.bytes, 0);
    const summary: PackSummary = {
      id: installed.manifest.id, name: installed.manifest.name, dir: installed.dir, demo: installed.manifest.demo,
      embedDim: installed.manifest.architecture.embedDim, imageSize: installed.manifest.image.size, bytes, provider,
      seconds: (performance.now() - t0) / 1000,
    };
    progress({ phase: 'done', done: 1, total: 1, message: summary.id });
    return summary;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Loads the converted pack and runs one image through it; returns the execution provider used. */
async function smokeTest(dir: string): Promise<string> {
  const pack = await loadPack(dir);
  const rt = await MagicLensRuntime.open(pack, { warmup: false });
  try {
    const S = rt.imageSize;
    const img = await rt.embedImages(new Float32Array(S * S * 3), 1);
    const emb = await rt.targetEmbeddings(img, 1);
    if (!emb.every(Number.isFinite)) throw new Error('the converted model produced non-finite values');
    return rt.provider;
  } finally {
    await rt.close();
  }
}
