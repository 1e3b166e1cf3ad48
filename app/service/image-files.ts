// Resolves a photo id to a file a viewer can show: the original, its cached thumbnail, or a JPEG rendition of a HEIC.
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../api/contract.js';
import { MEDIA_CACHE_DIR, resolveInsideRoots, type MediaKind } from '../media-access.js';
import { openImage } from '../media/decode.js';
import { contentTypeFor } from '../media/formats.js';
import { thumbPath, writeThumb } from '../media/thumbs.js';
import type { FolderRepo } from '../store/folders.js';
import type { PhotoRepo, PhotoRow } from '../store/photos.js';
import { requirePhoto } from './require-photo.js';

export interface ImageFile {
  path: string;
  contentType: string;
}

export interface ImageFileDeps {
  dataDir: string;
  photos: PhotoRepo;
  folders: FolderRepo;
}

/** Where the full-size JPEG rendition of a HEIC photo with this content hash is cached. */
export function fullRenditionPath(dataDir: string, hash: string): string {
  return path.join(dataDir, MEDIA_CACHE_DIR, 'full', `${hash}.jpg`);
}

export async function imageFile(d: ImageFileDeps, photoId: number, kind: MediaKind): Promise<ImageFile> {
  const row = requirePhoto(d.photos, photoId);
  const real = await realPathInLibrary(d.folders, row);
  if (kind === 'full' && row.format !== 'heic') return { path: real, contentType: contentTypeFor(row.format, real) };
  if (!row.hash) throw new ApiError('not_found', `photo ${photoId} has no thumbnail (${row.error ?? 'not read yet'})`);
  if (kind === 'thumb') return { path: await ensureThumb(d.dataDir, row.hash, real, photoId), contentType: 'image/jpeg' };
  // HEIC: browsers cannot show it; serve a cached full-size JPEG rendition instead.
  return { path: await ensureRendition(fullRenditionPath(d.dataDir, row.hash), real), contentType: 'image/jpeg' };
}

/** Only ever serve files that really live inside a library folder (no symlink escapes). */
async function realPathInLibrary(folders: FolderRepo, row: PhotoRow): Promise<string> {
  const real = await resolveInsideRoots(row.path, folders.all().map((f) => f.path));
  if (real !== null) return real;
  // Tell the two refusals apart: the file is gone, or it resolves outside every folder.
  const onDisk = await fs.promises.realpath(row.path).then(
    () => true,
    () => false,
  );
  if (!onDisk) throw new ApiError('not_found', `photo ${row.id} is not on disk (${row.path})`);
  throw new ApiError('bad_input', `photo ${row.id} resolves outside the library folders`);
}

async function ensureThumb(dataDir: string, hash: string, real: string, photoId: number): Promise<string> {
  const t = thumbPath(dataDir, hash);
  if (fs.existsSync(t)) return t;
  try {
    const img = await openImage(await fs.promises.readFile(real, { flag: 'r' }));
    await writeThumb(dataDir, hash, img.source, img.autoOrient);
  } catch (err) {
    throw new ApiError('bad_input', `cannot make a thumbnail for photo ${photoId}: ${(err as Error).message}`);
  }
  return t;
}

async function ensureRendition(out: string, real: string): Promise<string> {
  if (fs.existsSync(out)) return out;
  const { default: sharp } = await import('sharp');
  const img = await openImage(await fs.promises.readFile(real, { flag: 'r' }));
  await fs.promises.mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await sharp(img.source).jpeg({ quality: 90 }).toFile(tmp);
  await fs.promises.rename(tmp, out);
  return out;
}
