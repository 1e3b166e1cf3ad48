// The initial (and re-)scan of a library folder. Hand-written over fs.readdir rather than a glob
// library because every entry must end somewhere visible: a photo row, an error row with its
// reason, or a documented skip (app/library/README.md). Glob libraries silently drop the odd ones.
// Directory symlinks are not followed (no loops, no double counting: add the target as a folder
// instead); file symlinks are followed only while their target stays inside the library folders,
// so a link to a file elsewhere on the disk is never opened, hashed or decoded.
import fs from 'node:fs';
import path from 'node:path';
import type { IgnoreFn } from './ignore.js';
import { isPhotoPath } from '../media/formats.js';

export type WalkEntry = { path: string; size: number; mtimeMs: number } | { path: string; error: string };

export const OUTSIDE_LINK = 'symbolic link to a file outside the library folders (not followed)';
export const FOLDER_LINK = 'symbolic link to a folder (not followed: add its target as a library folder)';
export const BAD_NAME = 'file name is not valid UTF-8 (rename it to index it)';
export const BAD_DIR_NAME = 'folder name is not valid UTF-8: nothing in it is indexed (rename it)';

/**
 * The file is as the scan saw it (same size, same mtime to the millisecond, a hash on record): the
 * scan's hash stands without reading the file again. The rescan's fast path, the header pass and
 * the index pass all trust this one rule.
 */
export function unchangedSinceScan(row: { hash: string; size: number; mtime_ms: number }, st: { size: number; mtimeMs: number }): boolean {
  return row.hash !== '' && st.size === row.size && Math.floor(st.mtimeMs) === row.mtime_ms;
}

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

function inside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function kindName(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return 'a special file';
}

/**
 * One path under a library folder → a photo entry, an error entry, or null (gone, or a plain
 * directory). `roots` are the library folders' real paths: a symlink whose target resolves
 * outside all of them is reported and never followed further.
 */
export async function statEntry(p: string, roots: readonly string[]): Promise<WalkEntry | null> {
  let lst: fs.Stats;
  try {
    lst = await fs.promises.lstat(p);
  } catch (err) {
    // Gone since it was listed: nothing to report (the reconcile sees it vanish).
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : { path: p, error: fsReason(err) };
  }
  try {
    if (lst.isSymbolicLink()) {
      const real = await fs.promises.realpath(p); // ENOENT: dangling; ELOOP: a loop
      // Metadata only (never the contents): a folder link is refused wherever it points.
      if ((await fs.promises.stat(real)).isDirectory()) return { path: p, error: FOLDER_LINK };
      if (!roots.some((r) => inside(real, r))) return { path: p, error: OUTSIDE_LINK };
    }
    const st = lst.isSymbolicLink() ? await fs.promises.stat(p) : lst;
    if (st.isDirectory()) return null;
    if (!st.isFile()) return { path: p, error: `not a regular file (${kindName(st)})` };
    return { path: p, size: st.size, mtimeMs: Math.floor(st.mtimeMs) };
  } catch (err) {
    return { path: p, error: fsReason(err) };
  }
}

/** A readdir name that survives a UTF-8 round trip; other names cannot be stored or reopened as strings. */
function utf8Name(raw: Buffer): { name: string; valid: boolean } {
  const name = raw.toString('utf8');
  return { name, valid: Buffer.from(name, 'utf8').equals(raw) };
}

/** Yields every photo file under dir (not ignored), with size/mtime or an error reason. */
export async function* walk(dir: string, ignore: IgnoreFn, roots: readonly string[] = [dir]): AsyncGenerator<WalkEntry> {
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries: fs.Dirent<Buffer>[];
    try {
      entries = await fs.promises.readdir(d, { withFileTypes: true, encoding: 'buffer' });
    } catch (err) {
      if (d === dir) throw err; // the root itself: the caller decides (folder unavailable)
      continue; // an unreadable subfolder: nothing to list (its photos cannot be named)
    }
    const named = entries.map((e) => ({ e, ...utf8Name(e.name) }));
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: string[] = [];
    for (const { e, name, valid } of named) {
      const p = path.join(d, name);
      if (e.isDirectory()) {
        if (ignore(p, 'dir')) continue;
        if (valid) stack.push(p);
        else yield { path: p, error: BAD_DIR_NAME };
      } else if (isPhotoPath(p) && !ignore(p, 'file')) {
        // Regular files, symlinks and special files (FIFOs, sockets, devices) alike: statEntry
        // decides, so a FIFO named x.jpg becomes an error row instead of vanishing.
        if (valid) files.push(p);
        else yield { path: p, error: BAD_NAME };
      }
    }
    // stat in small parallel groups: one at a time is latency-bound on big folders.
    for (let i = 0; i < files.length; i += 32) {
      const group = await Promise.all(files.slice(i, i + 32).map((p) => statEntry(p, roots)));
      for (const s of group) if (s) yield s;
    }
  }
}
