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
  const globs = exclude.map((g) => g.trim().replace(/^\.?\//, '')).filter((g) => g !== '');
  // Patterns without "/" match a name at any depth; the others match the path from the root.
  const byName = globs.filter((g) => !g.replace(/\/$/, '').includes('/')).map((g) => g.replace(/\/$/, ''));
  const byPath = globs.filter((g) => g.replace(/\/$/, '').includes('/'));
  const nameMatch = byName.length > 0 ? picomatch(byName, { dot: true }) : null;
  const pathMatch = byPath.length > 0 ? picomatch(byPath, { dot: true }) : null;
  const excluded = (segments: string[], isDir: boolean): boolean => {
    const posix = segments.join('/');
    if (nameMatch && nameMatch(segments[segments.length - 1]!)) return true;
    if (pathMatch && (pathMatch(posix) || (isDir && (pathMatch(`${posix}/`) || pathMatch(`${posix}/x`))))) return true;
    return false;
  };
  return (absPath, kind) => {
    const rel = path.relative(root, absPath);
    if (rel === '') return false;
    if (rel.startsWith('..') || path.isAbsolute(rel)) return true;
    const segments = rel.split(path.sep);
    if (segments.some((s) => isHiddenOrTemp(s))) return true;
    if (kind === 'file' && !isPhotoPath(absPath)) return true;
    if (nameMatch || pathMatch) {
      // A file inside an excluded folder is excluded too (watcher events name files directly).
      for (let i = 1; i < segments.length; i++) if (excluded(segments.slice(0, i), true)) return true;
      if (excluded(segments, kind !== 'file')) return true;
    }
    return false;
  };
}
