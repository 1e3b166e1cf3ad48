// Thumbnail cache: dataDir/thumbs/<first 2 hex>/<content hash>.jpg. Keyed by content, so a moved
// or renamed photo keeps its thumbnail and duplicates share one. Written to a temp name and
// renamed, so a crash never leaves a half-written thumbnail that looks valid.
import fs from 'node:fs';
import path from 'node:path';
import type { Sharp } from 'sharp';
import { loadSharp } from './sharp-lazy.js';
import { MAX_PIXELS } from './decode.js';

export const THUMB_SIZE = 320;

export function thumbPath(dataDir: string, hash: string): string {
  if (!/^[0-9a-f]{16,128}$/.test(hash)) throw new Error(`bad content hash for a thumbnail: ${JSON.stringify(hash)}`);
  return path.join(dataDir, 'thumbs', hash.slice(0, 2), `${hash}.jpg`);
}

export async function writeThumb(dataDir: string, hash: string, source: Buffer, autoOrient: boolean): Promise<string> {
  const out = thumbPath(dataDir, hash);
  if (fs.existsSync(out)) return out;
  const sharp = await loadSharp();
  let img = sharp(source, { limitInputPixels: MAX_PIXELS });
  if (autoOrient) img = img.rotate();
  return saveThumb(dataDir, hash, await encodeThumb(img));
}

/** A thumbnail from already-decoded (upright) pixels: the index pass decodes each photo once. */
export async function thumbFromPixels(data: Buffer, raw: { width: number; height: number; channels: 3 | 4 }): Promise<Buffer> {
  const sharp = await loadSharp();
  return encodeThumb(sharp(data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }));
}

function encodeThumb(img: Sharp): Promise<Buffer> {
  return img.resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: false }).toBuffer();
}

/** Writes thumbnail bytes under the content hash (temp name + rename: never a half-written file). */
export async function saveThumb(dataDir: string, hash: string, jpeg: Buffer): Promise<string> {
  const out = thumbPath(dataDir, hash);
  await fs.promises.mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.promises.writeFile(tmp, jpeg);
  await fs.promises.rename(tmp, out);
  return out;
}
