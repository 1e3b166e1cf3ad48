// What the library skips: hidden files and folders (any path segment starting with "."), the temp
// files editors and downloaders leave while writing, non-photo extensions, and the user's
// exclusion globs (picomatch; a pattern without "/" matches the name anywhere, like .gitignore).
import path from 'node:path';
import picomatch from 'picomatch';
import { isPhotoPath } from '../media/formats.js';

const TEMP_NAME = /(^~\$|~$|^\.~lock|\.(tmp|temp|part|partial|crdownload|download|swp|swx|lck)$)/i;

export function isHiddenOrTemp(name: string): boolean {
  return name.startsWith('.') || TEMP_NAME.test(name);
}

export type IgnoreFn = (absPath: string, kind: 'file' | 'dir' | 'unknown') => boolean;

export function makeIgnore(root: string, exclude: readonly string[]): IgnoreFn {
  const globs = exclude.map((g) => g.trim()).filter((g) => g !== '');
  const match = globs.length > 0 ? picomatch(globs, { dot: true, basename: true }) : null;
  return (absPath, kind) => {
    const rel = path.relative(root, absPath);
    if (rel === '') return false;
    if (rel.startsWith('..') || path.isAbsolute(rel)) return true;
    const segments = rel.split(path.sep);
    if (segments.some((s) => isHiddenOrTemp(s))) return true;
    if (kind === 'file' && !isPhotoPath(absPath)) return true;
    if (match) {
      const posix = segments.join('/');
      if (match(posix) || (kind !== 'file' && match(`${posix}/`))) return true;
      // "raw/**" should also exclude the folder "raw" itself (so we never descend into it).
      if (kind !== 'file' && match(`${posix}/x`)) return true;
    }
    return false;
  };
}
