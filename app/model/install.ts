// Installing the official MagicLens model: fetch (or take local) checkpoint + CLIP BPE vocabulary,
// convert to a pack in a temporary folder inside the registry, verify it loads and runs, then move it
// into place. Any failure leaves the registry as it was.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { convertCheckpoint } from '../../models/ts/convert.js';
import { download, isUrl, verifySha256 } from './download.js';
import { loadPack } from './pack.js';
import { ModelRegistry } from './registry.js';
import { MagicLensRuntime } from './runtime.js';
import type { Manifest } from '../../models/ts/pack-manifest.js';

export const DEFAULT_CHECKPOINT_URL = 'https://storage.googleapis.com/gresearch/magiclens/models/magic_lens_clip_base.pkl';
export const LARGE_CHECKPOINT_URL = 'https://storage.googleapis.com/gresearch/magiclens/models/magic_lens_clip_large.pkl';
export const DEFAULT_VOCAB_URL = 'https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz';

/** sha256 of files whose published content we know (by file name). The checkpoints' are not published. */
export const KNOWN_SHA256: Record<string, string> = {
  'bpe_simple_vocab_16e6.txt.gz': '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a',
};

export type InstallPhase = 'download-checkpoint' | 'download-vocab' | 'convert' | 'verify' | 'install' | 'done';
export interface InstallProgress { phase: InstallPhase; done: number; total: number; message?: string }

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

function fileNameOf(src: string): string {
  return isUrl(src) ? decodeURIComponent(new URL(src).pathname.split('/').pop() || 'download') : path.basename(src);
}

async function fetchInput(src: string, downloads: string, phase: InstallPhase, o: InstallOptions): Promise<{ file: string; downloaded: boolean }> {
  const name = fileNameOf(src);
  const sha = KNOWN_SHA256[name];
  if (!isUrl(src)) {
    if (!fs.existsSync(src)) throw new Error(`file not found: ${src}`);
    if (sha) await verifySha256(src, sha);
    return { file: path.resolve(src), downloaded: false };
  }
  fs.mkdirSync(downloads, { recursive: true });
  const dest = path.join(downloads, name);
  if (fs.existsSync(dest) && (!sha || (await verifySha256(dest, sha).then(() => true, () => false)))) return { file: dest, downloaded: true };
  await download(src, dest, {
    sha256: sha,
    signal: o.signal,
    onProgress: (done, total) => o.onProgress?.({ phase, done, total, message: name }),
  });
  return { file: dest, downloaded: true };
}

function defaultIdentity(m: Pick<Manifest, 'architecture'>, checkpointName: string): { id: string; name: string } {
  const a = m.architecture;
  if (a.embedDim === 512 && a.visionWidth === 768 && a.visionLayers === 12 && a.patchSize === 16) return { id: 'magiclens-base', name: 'MagicLens base (CLIP ViT-B/16)' };
  if (a.embedDim === 768 && a.visionWidth === 1024 && a.visionLayers === 24 && a.patchSize === 14) return { id: 'magiclens-large', name: 'MagicLens large (CLIP ViT-L/14)' };
  const h = crypto.createHash('sha256').update(JSON.stringify(a)).update(checkpointName).digest('hex').slice(0, 8);
  return { id: `magiclens-custom-${h}`, name: `MagicLens (${checkpointName})` };
}

export async function installOfficialModel(o: InstallOptions): Promise<PackSummary> {
  const t0 = performance.now();
  const progress = o.onProgress ?? (() => {});
  const registry = new ModelRegistry(o.dataDir);
  const downloads = path.join(o.dataDir, 'downloads');
  const ck = await fetchInput(o.checkpoint, downloads, 'download-checkpoint', o);
  const vocab = await fetchInput(o.vocab, downloads, 'download-vocab', o);
  o.signal?.throwIfAborted();
  fs.mkdirSync(registry.modelsDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(registry.modelsDir, '.converting-'));
  try {
    const ckName = fileNameOf(o.checkpoint);
    const manifest = await convertCheckpoint({
      checkpoint: ck.file, vocab: vocab.file, outDir: work,
      id: o.id ?? 'pending', name: o.name ?? 'pending',
      source: isUrl(o.checkpoint) ? o.checkpoint : ckName,
      description: 'Official MagicLens weights (google-deepmind/magiclens), converted to ONNX on this computer',
      preprocessing: o.preprocessing,
      fp16: o.fp16,
      onProgress: (p) => progress({ phase: 'convert', done: p.done, total: p.total, message: p.step }),
    });
    // name the pack after what the checkpoint turned out to be
    const ident = defaultIdentity(manifest, ckName);
    const final = { ...manifest, id: o.id ?? ident.id, name: o.name ?? ident.name };
    fs.writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(final, null, 2) + '\n');
    o.signal?.throwIfAborted();
    progress({ phase: 'verify', done: 0, total: 1, message: 'checking the converted model runs' });
    const pack = await loadPack(work);
    const rt = await MagicLensRuntime.open(pack, { warmup: false });
    let provider: string;
    try {
      const S = rt.imageSize;
      const img = await rt.embedImages(new Float32Array(S * S * 3), 1);
      const emb = await rt.targetEmbeddings(img, 1);
      if (!emb.every(Number.isFinite)) throw new Error('the converted model produced non-finite values');
      provider = rt.provider;
    } finally {
      await rt.close();
    }
    progress({ phase: 'verify', done: 1, total: 1 });
    progress({ phase: 'install', done: 0, total: 1 });
    const installed = await registry.install(work, { move: true });
    progress({ phase: 'install', done: 1, total: 1 });
    // downloads are no longer needed once the pack holds the converted graphs and its own vocabulary copy
    for (const f of [ck, vocab]) if (f.downloaded) fs.rmSync(f.file, { force: true });
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
