// samples.*: the demo world's sample photos that ship with the app (models/samples, made by
// scripts/make-samples.ts). "Add" copies them into the data folder's samples/ (the app never writes
// anywhere else, and the bundled copy stays read-only inside the app) and adds that folder to the
// library; the suggested searches name their query photo by file, resolved to a photo id once indexed.
import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type Result } from '../../api/contract.js';
import type { Library } from '../../library/library.js';
import { APP_ROOT } from '../../paths.js';
import type { FolderRepo } from '../../store/folders.js';
import type { PhotoRepo } from '../../store/photos.js';
import type { ScanScheduler } from '../scans.js';
import type { HandlerSlice } from './slice.js';

export const BUNDLED_SAMPLES_DIR = path.join(APP_ROOT, 'models', 'samples');
/** The sample files are ours: plain generated names, nothing else is copied. */
const SAMPLE_FILE = /^[a-z0-9_-]{1,64}\.jpg$/;

interface SamplesManifest {
  suggestions: { kind: string; title: string; instruction: string; query: string }[];
}

export interface SampleDeps {
  dataDir: string;
  folders: Pick<FolderRepo, 'byPath' | 'counts'>;
  photos: Pick<PhotoRepo, 'byPath'>;
  library: Pick<Library, 'addFolder'>;
  scans: Pick<ScanScheduler, 'background'>;
  /** The bundled samples (tests point it elsewhere). */
  bundledDir?: string;
}

function readManifest(dir: string): SamplesManifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'samples.json'), 'utf8')) as SamplesManifest;
  } catch {
    return null; // a build without samples: the welcome screen simply does not offer them
  }
}

/** The samples folder as the library stores it (real path), or null when it does not exist yet. */
function realDest(dataDir: string): string | null {
  try {
    return fs.realpathSync(path.join(dataDir, 'samples'));
  } catch {
    return null;
  }
}

function info(d: SampleDeps, bundled: string): Result<'samples.get'> {
  const manifest = readManifest(bundled);
  const dest = realDest(d.dataDir);
  const folder = dest ? d.folders.byPath(dest) : undefined;
  const suggestions = (manifest?.suggestions ?? []).map((s) => {
    const row = folder && dest ? d.photos.byPath(path.join(dest, s.query)) : undefined;
    return { kind: s.kind, title: s.title, instruction: s.instruction, file: s.query, photoId: row?.status === 'indexed' ? row.id : null };
  });
  return { available: manifest !== null, folderId: folder?.id ?? null, photos: folder ? d.folders.counts(folder.id).photos : 0, suggestions };
}

/** Copies the bundled samples that are missing (or differ in size) into dataDir/samples; returns how many. */
async function copySamples(bundled: string, dest: string): Promise<number> {
  const src = path.join(bundled, 'photos');
  await fs.promises.mkdir(dest, { recursive: true });
  let copied = 0;
  for (const name of (await fs.promises.readdir(src)).filter((n) => SAMPLE_FILE.test(n)).sort()) {
    const from = path.join(src, name);
    const to = path.join(dest, name);
    const have = await fs.promises.stat(to).catch(() => null);
    if (have && have.size === (await fs.promises.stat(from)).size) continue;
    await fs.promises.copyFile(from, to);
    copied++;
  }
  return copied;
}

export function sampleHandlers(d: SampleDeps): HandlerSlice<'samples'> {
  const bundled = d.bundledDir ?? BUNDLED_SAMPLES_DIR;
  return {
    'samples.get': async () => info(d, bundled),
    'samples.add': async () => {
      if (!readManifest(bundled)) throw new ApiError('unavailable', 'this build of MagicLens has no sample photos');
      const dest = path.join(d.dataDir, 'samples');
      try {
        await copySamples(bundled, dest);
      } catch (err) {
        throw new ApiError('internal', `could not copy the sample photos into ${dest}: ${(err as Error).message}`);
      }
      const f = await d.library.addFolder(dest, []);
      d.scans.background([f.id]); // new, or files restored into a known folder: either way look again
      return info(d, bundled);
    },
  };
}
