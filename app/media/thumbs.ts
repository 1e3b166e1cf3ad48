// Thumbnail cache: dataDir/thumbs/<first 2 hex>/<content hash>.jpg. Keyed by content, so a moved
// or renamed photo keeps its thumbnail and duplicates share one. Written to a temp name and
// renamed, so a crash never leaves a half-written thumbnail that looks valid.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { MAX_PIXELS } from './decode.js';

export const THUMB_SIZE = 320;

export function thumbPath(dataDir: string, hash: string): string {
  if (!/^[0-9a-f]{16,128}$/.test(hash)) throw new Error(`bad content hash for a thumbnail: ${JSON.stringify(hash)}`);
  return path.join(dataDir, 'thumbs', hash.slice(0, 2), `${hash}.jpg`);
}

export async function writeThumb(dataDir: string, hash: string, source: Buffer, autoOrient: boolean): Promise<string> {
  const out = thumbPath(dataDir, hash);
  if (fs.existsSync(out)) return out;
  await fs.promises.mkdir(path.dirname(out), { recursive: true });
  let img = sharp(source, { limitInputPixels: MAX_PIXELS });
  if (autoOrient) img = img.rotate();
  const data = await img.resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality: 82, mozjpeg: false }).toBuffer();
  const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.promises.writeFile(tmp, data);
  await fs.promises.rename(tmp, out);
  return out;
}
