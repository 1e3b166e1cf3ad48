// The initial (and re-)scan of a library folder. Hand-written over fs.opendir rather than a glob
// library because every unreadable entry must come back as data (path + reason) for the errors
// view, and glob libraries silently drop those. Directory symlinks are not followed (no loops, no
// double counting: add the target as a folder instead); file symlinks are followed, and a
// symlink loop or dangling link is reported with its reason.
import fs from 'node:fs';
import path from 'node:path';
import type { IgnoreFn } from './ignore.js';
import { isPhotoPath } from '../media/formats.js';

export type WalkEntry = { path: string; size: number; mtimeMs: number } | { path: string; error: string };

export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ELOOP':
      return 'symbolic link loop (ELOOP)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${e.code})`;
    case 'ENOENT':
      return 'file not found (dangling link?)';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e?.message ? e.message.split('\n')[0]! : String(err);
  }
}

export async function statEntry(p: string): Promise<WalkEntry | null> {
  try {
    const st = await fs.promises.stat(p);
    if (!st.isFile()) return st.isDirectory() ? null : { path: p, error: 'not a regular file' };
    return { path: p, size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      // Gone, or a dangling symlink: only the latter is worth an error row.
      try {
        await fs.promises.lstat(p);
        return { path: p, error: fsReason(err) };
      } catch {
        return null;
      }
    }
    return { path: p, error: fsReason(err) };
  }
}

/** Yields every photo file under dir (not ignored), with size/mtime or an error reason. */
export async function* walk(dir: string, ignore: IgnoreFn): AsyncGenerator<WalkEntry> {
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(d, { withFileTypes: true });
    } catch (err) {
      if (d === dir) throw err; // the root itself: the caller decides (folder unavailable)
      continue; // an unreadable subfolder: nothing to list (its photos cannot be named)
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: string[] = [];
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!ignore(p, 'dir')) stack.push(p);
      } else if ((e.isFile() || e.isSymbolicLink()) && isPhotoPath(p) && !ignore(p, 'file')) {
        files.push(p);
      }
    }
    // stat in small parallel groups: one at a time is latency-bound on big folders.
    for (let i = 0; i < files.length; i += 32) {
      const group = await Promise.all(files.slice(i, i + 32).map((p) => statEntry(p)));
      for (const s of group) if (s) yield s;
    }
  }
}
