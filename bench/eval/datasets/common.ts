// Shared plumbing for the benchmark runners: encode a gallery and the reference images once, build query vectors
// for each search mode, and describe the printed table.
import fs from 'node:fs';
import type { EncodedImages, EvalModel, ImageInput } from '../model.js';

/** composed = MagicLens (photo + instruction); text = CLIP text search (rclip/Immich); image = image similarity. */
export type Mode = 'composed' | 'text' | 'image';
export const ALL_MODES: Mode[] = ['composed', 'text', 'image'];
export const MODE_LABEL: Record<Mode, string> = {
  composed: 'photo + instruction (MagicLens)',
  text: 'instruction only (CLIP text search)',
  image: 'photo only (image similarity)',
};

export interface RunOptions {
  root: string;
  model: EvalModel;
  modes?: Mode[];
  /** evaluate only the first N queries (quick runs); the gallery stays whole */
  limit?: number;
  split?: string;
  log?: (s: string) => void;
}

export interface ResultRow { label: string; values: (number | null)[] }
export interface ResultTable {
  dataset: string;
  title: string;
  columns: string[];
  rows: ResultRow[];
  queries: number;
  gallery: number;
  notes: string[];
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

export function readJson<T>(file: string, what: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DatasetError(`${what}: ${file} is missing`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new DatasetError(`${what}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

export function mustExist(file: string, what: string): string {
  if (!fs.existsSync(file)) throw new DatasetError(`${what}: ${file} is missing`);
  return file;
}

/** Picks the first existing path among candidates (datasets ship images as .png or .jpg depending on the copy). */
export function firstExisting(candidates: string[], what: string): string {
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new DatasetError(`${what}: none of ${candidates.join(', ')} exists`);
}

export function progressLogger(log: ((s: string) => void) | undefined, label: string): ((d: number, t: number) => void) | undefined {
  if (!log) return undefined;
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (done === total || now - last > 5000) { last = now; log(`${label}: ${done}/${total} images`); }
  };
}

/** Encodes each distinct key's image once; `rowOf` maps a key to its row in the returned embeddings. */
export async function encodeDistinct(model: EvalModel, keys: readonly string[], inputOf: (key: string) => ImageInput | Promise<ImageInput>, log?: (s: string) => void, label = 'images'): Promise<{ enc: EncodedImages; rowOf: Map<string, number>; keys: string[] }> {
  const distinct = [...new Set(keys)];
  const inputs = await Promise.all(distinct.map((k) => inputOf(k)));
  const enc = await model.encodeImages(inputs, progressLogger(log, label));
  return { enc, rowOf: new Map(distinct.map((k, i) => [k, i])), keys: distinct };
}

function gather(m: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(m.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}

/** Query vectors (n×D, unit length) for one mode, with the gallery matrix they are to be ranked against. */
export async function queryVectors(mode: Mode, model: EvalModel, refs: EncodedImages, refRows: readonly number[], texts: readonly string[]): Promise<Float32Array> {
  const D = model.dim;
  if (mode === 'composed') return model.composedQueries(gather(refs.clipRaw, D, refRows), texts);
  if (mode === 'text') return model.textQueries(texts);
  return gather(refs.clip, D, refRows);
}

export function galleryMatrix(mode: Mode, gallery: EncodedImages): Float32Array {
  return mode === 'composed' ? gallery.target : gallery.clip;
}

export const pct = (x: number): number => Math.round(x * 10000) / 100;

export function limited<T>(items: T[], limit?: number): T[] {
  return limit && limit > 0 ? items.slice(0, limit) : items;
}
