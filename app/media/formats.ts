// The image formats the library indexes, by file extension (what the walker and watcher pick up)
// and by what sharp's metadata reports (what the decoder accepts, whatever the extension says).
import path from 'node:path';

export const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.png', '.webp', '.avif', '.tif', '.tiff', '.gif', '.heic', '.heif']);

export function isPhotoPath(p: string): boolean {
  return PHOTO_EXTENSIONS.has(path.extname(p).toLowerCase());
}

export const CONTENT_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
  tiff: 'image/tiff',
  gif: 'image/gif',
  heic: 'image/heic',
};

export function contentTypeFor(format: string | null, p: string): string {
  if (format && CONTENT_TYPES[format]) return CONTENT_TYPES[format];
  const ext = path.extname(p).toLowerCase().slice(1);
  if (ext === 'jpg' || ext === 'jpe') return 'image/jpeg';
  if (ext === 'tif') return 'image/tiff';
  if (ext === 'heif') return 'image/heic';
  return CONTENT_TYPES[ext] ?? 'application/octet-stream';
}
