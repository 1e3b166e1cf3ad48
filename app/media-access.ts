// Pure checks shared by every transport that serves image bytes (the HTTP bridge's /media route
// and Electron's magiclens-media:// protocol). The service already resolves a photo id to a file;
// these checks are the second wall: a URL names only a kind and a numeric id, and the file handed
// out must really (after resolving symlinks) lie inside one of the allowed roots.
import { realpath } from 'node:fs/promises';
import path from 'node:path';

export type MediaKind = 'thumb' | 'full';

/** The data-dir folder holding generated images (thumbnails, renditions of HEIC); see app/media/thumbs.ts. */
export const MEDIA_CACHE_DIR = 'thumbs';
export interface MediaRequest {
  kind: MediaKind;
  photoId: number;
}

/**
 * Parses "<kind>/<id>" (leading slashes tolerated). Anything else — dots, extra segments,
 * percent-escapes, absolute paths, ids that are not small positive integers — is refused (null).
 */
export function parseMediaPath(p: string): MediaRequest | null {
  const m = /^\/{0,2}(thumb|full)\/([1-9][0-9]{0,14})\/?$/.exec(p);
  if (!m) return null;
  const photoId = Number(m[2]);
  if (!Number.isSafeInteger(photoId)) return null;
  return { kind: m[1] as MediaKind, photoId };
}

/** Parses a `magiclens-media://thumb/12` URL (host = kind, path = id). */
export function parseMediaUrl(url: string, scheme = 'magiclens-media'): MediaRequest | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${scheme}:` || u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '' || u.port !== '') return null;
  // Check the raw text too: URL parsing normalises "a/../b", which must not sneak past.
  const raw = url.slice(`${scheme}://`.length);
  if (raw.includes('..') || raw.includes('%') || raw.includes('\\')) return null;
  return parseMediaPath(`${u.host}${u.pathname}`);
}

/**
 * True when `child` equals `root` or lies below it (both already absolute and resolved). Works for
 * a drive or file-system root (`D:\\`, `/`), where "root + separator" checks fail. `p` is the
 * platform's path module; tests pass path.win32 / path.posix to check both rule sets anywhere.
 */
export function isInside(child: string, root: string, p: path.PlatformPath = path): boolean {
  const rel = p.relative(root, child);
  // "..x" is a name inside root; only ".." itself or a "../" prefix climbs out.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${p.sep}`) && !p.isAbsolute(rel));
}

/**
 * Resolves `candidate` through every symlink and returns the real path if it lies inside one of
 * the (also resolved) roots; null otherwise, or when it does not exist. Relative candidates are
 * refused outright: the service always hands out absolute paths.
 */
export async function resolveInsideRoots(candidate: string, roots: readonly string[]): Promise<string | null> {
  if (!path.isAbsolute(candidate) || candidate.includes('\0')) return null;
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return null;
  }
  for (const root of roots) {
    if (!path.isAbsolute(root)) continue;
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      continue;
    }
    if (isInside(real, realRoot)) return real;
  }
  return null;
}
