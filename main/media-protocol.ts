// Resolves a magiclens-media:// request to a file, Electron-free (testable): the URL names only
// a kind and a photo id; the service resolves the id; the file must really lie inside a library
// folder (full images) or the data dir's generated-images folder (thumbnails, renditions) after
// following symlinks.
import path from 'node:path';
import { MEDIA_CACHE_DIR, parseMediaUrl, resolveInsideRoots } from '../app/media-access.js';
import { MEDIA_SCHEME } from './security.js';

export interface MediaDeps {
  imageFile(photoId: number, kind: 'thumb' | 'full'): Promise<{ path: string; contentType: string } | null>;
  roots(): Promise<{ folders: string[]; dataDir: string }>;
}

export type MediaAnswer = { status: 200; path: string; contentType: string } | { status: 400 | 404; message: string };

export async function resolveMediaRequest(url: string, deps: MediaDeps): Promise<MediaAnswer> {
  const req = parseMediaUrl(url, MEDIA_SCHEME);
  if (!req) return { status: 400, message: 'bad media URL' };
  const file = await deps.imageFile(req.photoId, req.kind);
  if (!file) return { status: 404, message: 'no such photo' };
  const roots = await deps.roots();
  const generated = path.join(roots.dataDir, MEDIA_CACHE_DIR);
  const real = await resolveInsideRoots(file.path, req.kind === 'full' ? [...roots.folders, generated] : [generated]);
  if (!real) return { status: 404, message: 'image is not inside a library folder' };
  return { status: 200, path: real, contentType: file.contentType };
}
