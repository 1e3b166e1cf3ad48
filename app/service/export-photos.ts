// Copying photos out of the library into a folder the user named (photos.export). The originals
// are only read: copyFile with COPYFILE_EXCL never replaces a file, so a name already taken in the
// destination (or a destination that is the photo's own folder) gets a numbered copy instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../api/contract.js';
import { fsPathProblem } from '../api/schemas.js';
import type { PhotoRepo } from '../store/photos.js';

export interface ExportOutcome {
  dest: string;
  copied: number;
  renamed: number;
  missing: number;
}

/** The destination folder as an absolute path ("~" is the home folder), or a bad_input error. */
export function exportDestination(typed: string): string {
  const p = /^~(?=$|[\\/])/.test(typed) ? path.join(os.homedir(), typed.slice(1)) : typed;
  // A relative path would land beside the service's working folder, which the user never sees.
  if (!path.isAbsolute(p)) throw new ApiError('bad_input', `give the full path of the folder to copy into (a relative path is not accepted): ${typed}`);
  const problem = fsPathProblem(p);
  if (problem) throw new ApiError('bad_input', `${problem}: ${p}`);
  if (fs.existsSync(p) && !fs.statSync(p).isDirectory()) throw new ApiError('bad_input', `not a folder: ${p}`);
  return path.resolve(p);
}

/** "name.jpg", then "name (2).jpg", "name (3).jpg"… until one is free (EEXIST says taken). */
async function copyUnique(src: string, dir: string): Promise<boolean> {
  const ext = path.extname(src);
  const stem = path.basename(src, ext);
  for (let n = 1; n < 10_000; n++) {
    const target = path.join(dir, n === 1 ? `${stem}${ext}` : `${stem} (${n})${ext}`);
    try {
      await fs.promises.copyFile(src, target, fs.constants.COPYFILE_EXCL);
      return n > 1;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new ApiError('conflict', `too many files named like ${stem}${ext} in ${dir}`);
}

export async function exportPhotos(photos: PhotoRepo, ids: readonly number[], typed: string): Promise<ExportOutcome> {
  const dest = exportDestination(typed);
  await fs.promises.mkdir(dest, { recursive: true });
  const rows = photos.byIds(ids);
  const out: ExportOutcome = { dest, copied: 0, renamed: 0, missing: ids.length - rows.size };
  for (const id of ids) {
    const r = rows.get(id);
    if (!r) continue;
    try {
      if (await copyUnique(r.path, dest)) out.renamed++;
      out.copied++;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') out.missing++; // the file went away since it was indexed
      else throw new ApiError('bad_input', `could not copy ${path.basename(r.path)} into ${dest}: ${err instanceof Error ? err.message : String(err)} (${out.copied} copied before it)`);
    }
  }
  return out;
}
