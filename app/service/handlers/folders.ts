// folders.*: the library's folders, adding and removing them, exclusions and rescans.
import os from 'node:os';
import path from 'node:path';
import { ApiError, type Folder } from '../../api/contract.js';
import { fsPathProblem } from '../../api/schemas.js';
import type { Indexer } from '../../index/indexer.js';
import type { Library } from '../../library/library.js';
import { excludeOf, type FolderRepo, type FolderRow } from '../../store/folders.js';
import type { ScanScheduler } from '../scans.js';
import type { HandlerSlice } from './slice.js';

export interface FolderDeps {
  folders: FolderRepo;
  library: Pick<Library, 'addFolder' | 'removeFolder' | 'setExclusions' | 'available'>;
  indexer: Pick<Indexer, 'kick'>;
  scans: Pick<ScanScheduler, 'background'>;
}

function toFolder(d: FolderDeps, f: FolderRow): Folder {
  const c = d.folders.counts(f.id);
  return { id: f.id, path: f.path, exclude: excludeOf(f), photoCount: c.photos, errorCount: c.errors, available: d.library.available(f), addedAt: f.added_at };
}

export function folderHandlers(d: FolderDeps): HandlerSlice<'folders'> {
  const { folders, library } = d;
  return {
    'folders.list': async () => folders.all().map((f) => toFolder(d, f)),
    'folders.add': async ({ path: typed, exclude }) => {
      // A typed "~/Pictures" means the user's home; a relative path would resolve against the
      // service's working folder, which the user never sees, so it is refused.
      const p = /^~(?=$|[\\/])/.test(typed) ? path.join(os.homedir(), typed.slice(1)) : typed;
      if (!path.isAbsolute(p)) throw new ApiError('bad_input', `give the full path of the folder (a relative path is not accepted): ${p}`);
      // Again here, not only in the schema: the service is the last wall for every transport.
      const problem = fsPathProblem(p);
      if (problem) throw new ApiError('bad_input', `${problem}: ${p}`);
      const before = folders.all().length;
      const f = await library.addFolder(p, exclude);
      // Adding a folder that is already there returns it without scanning it again.
      if (folders.all().length > before) d.scans.background([f.id]);
      return toFolder(d, f);
    },
    'folders.remove': async ({ id }) => ({ removed: await library.removeFolder(id) }),
    'folders.setExclusions': async ({ id, exclude }) => {
      const f = await library.setExclusions(id, exclude);
      d.indexer.kick();
      return toFolder(d, f);
    },
    'folders.rescan': async ({ id }) => {
      if (id !== undefined && !folders.get(id)) throw new ApiError('not_found', `no folder ${id}`);
      const ids = id !== undefined ? [id] : folders.all().map((f) => f.id);
      d.scans.background(ids);
      return { queued: ids.length };
    },
  };
}
