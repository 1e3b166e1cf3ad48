// The official MagicLens models the app offers to install, with what a user needs to decide:
// download size, licence, memory and disk, and an indexing-speed estimate for this computer.
// Only the checkpoint is ever downloaded: the CLIP BPE vocabulary ships with the app.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_ROOT } from '../paths.js';

/** The public https form of the official bucket gs://gresearch/magiclens/models/. */
export const OFFICIAL_BASE_URL = 'https://storage.googleapis.com/gresearch/magiclens/models/';
/** Tests and local mirrors point the catalogue elsewhere (read by the service, never by the renderer). */
export const BASE_URL_ENV = 'MAGICLENS_MODEL_BASE_URL';
export const DRIVE_HINT = 'the Google Drive folder linked from https://github.com/google-deepmind/magiclens (README, "Model checkpoints")';

/** What to do when the official download fails: the maintainers' Drive mirror, then a local file. */
export function fallbackHint(file: string): string {
  return `You can download ${file} from ${DRIVE_HINT} and pick the downloaded .pkl instead (Models page: "Choose the .pkl…" or drop it there; command line: magiclens model install --checkpoint /path/to/${file})`;
}

/** openai/CLIP's bpe_simple_vocab_16e6.txt.gz (MIT), bundled under models/vocab. */
export const CLIP_VOCAB_FILE = 'bpe_simple_vocab_16e6.txt.gz';
export const CLIP_VOCAB_SHA256 = '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a';
export const CLIP_VOCAB_URL = 'https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz';
export const BUNDLED_VOCAB = path.join(APP_ROOT, 'models', 'vocab', CLIP_VOCAB_FILE);

export type CatalogueId = 'base' | 'large';

export interface CatalogueEntry {
  id: CatalogueId;
  /** the pack id an install of this entry produces (when the checkpoint has this architecture) */
  packId: string;
  name: string;
  backbone: string;
  /** the official file name; the local download is always saved under it */
  file: string;
  /** approximate: the bucket publishes no sizes or checksums */
  downloadBytes: number;
  licence: string;
  /** resident memory while indexing (interactive + bulk lane, fp32) */
  ramBytes: number;
  /** free disk the install needs (download + conversion + installed pack + optimised-graph cache) */
  diskBytes: number;
  /** image tower cost per image at 224 px (GFLOPs, multiply-adds counted twice) */
  gflopsPerImage: number;
}

const GB = 1e9;

export const CATALOGUE_ENTRIES: readonly CatalogueEntry[] = [
  {
    id: 'base', packId: 'magiclens-base', name: 'MagicLens-B', backbone: 'CLIP ViT-B/16', file: 'magic_lens_clip_base.pkl',
    downloadBytes: 0.6 * GB, licence: 'weights CC-BY 4.0, code Apache-2.0', ramBytes: 1.6 * GB, diskBytes: 2.4 * GB, gflopsPerImage: 35,
  },
  {
    id: 'large', packId: 'magiclens-large', name: 'MagicLens-L', backbone: 'CLIP ViT-L/14', file: 'magic_lens_clip_large.pkl',
    downloadBytes: 1.7 * GB, licence: 'weights CC-BY 4.0, code Apache-2.0', ramBytes: 4.5 * GB, diskBytes: 6.8 * GB, gflopsPerImage: 162,
  },
];

export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return CATALOGUE_ENTRIES.find((e) => e.id === id);
}

export function catalogueBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const b = env[BASE_URL_ENV]?.trim();
  if (!b) return OFFICIAL_BASE_URL;
  return b.endsWith('/') ? b : `${b}/`;
}

export function catalogueUrl(e: CatalogueEntry, env: NodeJS.ProcessEnv = process.env): string {
  return new URL(e.file, catalogueBaseUrl(env)).href;
}

/** The bundled vocabulary when present (a source checkout or a packaged app), else null. */
export function bundledVocab(): string | null {
  return fs.existsSync(BUNDLED_VOCAB) ? BUNDLED_VOCAB : null;
}

/**
 * Calibration of the speed estimate: a base-size batch of 8 took ~2 s on 2 cores of this project's
 * CI machine (ONNX Runtime, CPU, fp32; app/service/lanes.ts), i.e. ~4 images/s at 35 GFLOPs each:
 * an effective ~140 GFLOP/s from 2 cores, ~70 per core. Other models scale by their FLOPs, other computers by
 * their core count (threads actually used). A stated estimate, not a measurement of this computer.
 */
const EFFECTIVE_GFLOPS_PER_CORE = 70;

export interface SpeedEstimate { imagesPerSec: number; threads: number; basis: string }

export function estimateSpeed(e: CatalogueEntry, threads = Math.max(1, os.availableParallelism() - 1)): SpeedEstimate {
  const imagesPerSec = (EFFECTIVE_GFLOPS_PER_CORE * threads) / e.gflopsPerImage;
  return { imagesPerSec, threads, basis: `estimate: ${e.gflopsPerImage} GFLOPs per image at ~${EFFECTIVE_GFLOPS_PER_CORE} GFLOP/s per CPU thread (measured for base on 2 cores), ${threads} threads` };
}

export interface CatalogueInfo extends CatalogueEntry { imagesPerSec: number; speedBasis: string; installed: boolean; fallback: string }

/** The catalogue as shown to the user: each entry with its speed estimate and whether it is installed. */
export function catalogueInfos(installedPackIds: ReadonlySet<string>, threads?: number): CatalogueInfo[] {
  return CATALOGUE_ENTRIES.map((e) => {
    const speed = estimateSpeed(e, threads);
    return { ...e, imagesPerSec: speed.imagesPerSec, speedBasis: speed.basis, installed: installedPackIds.has(e.packId), fallback: fallbackHint(e.file) };
  });
}
