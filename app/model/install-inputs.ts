// Where an install's two inputs come from, and the rules they pass before anything is read:
// a catalogue id (the official downloads), an https URL (plain http only on this computer), or an
// absolute path to a file the user chose. Downloads land under <dataDir>/downloads with a name
// the app fixes, never one taken from the URL; one install runs at a time per data folder.
import fs from 'node:fs';
import path from 'node:path';
import { fsPathProblem } from '../api/schemas.js';
import { bundledVocab, CATALOGUE_ENTRIES, catalogueUrl, CLIP_VOCAB_FILE, CLIP_VOCAB_SHA256, CLIP_VOCAB_URL, OFFICIAL_BASE_URL } from './catalogue.js';
import { download, DownloadError, isUrl, urlAllowed, verifySha256 } from './download.js';

export const DEFAULT_CHECKPOINT_URL = `${OFFICIAL_BASE_URL}magic_lens_clip_base.pkl`;
export const LARGE_CHECKPOINT_URL = `${OFFICIAL_BASE_URL}magic_lens_clip_large.pkl`;
export const DEFAULT_VOCAB_URL = CLIP_VOCAB_URL;

export type InputKind = 'checkpoint' | 'vocab';

interface CatalogueSource { url: string; file: string; bundled?: string | null }

/** What `checkpoint` / `vocab` may name besides a URL or a file: the official downloads (base,
 *  large; their base URL overridable with MAGICLENS_MODEL_BASE_URL) and the CLIP vocabulary, taken
 *  from the copy bundled with the app when there is one. The saved file name always comes from
 *  here (or FALLBACK_FILE), never from the URL. Read at call time so the override applies. */
function catalogue(kind: InputKind): Record<string, CatalogueSource> {
  if (kind === 'vocab') return { clip: { url: CLIP_VOCAB_URL, file: CLIP_VOCAB_FILE, bundled: bundledVocab() } };
  return Object.fromEntries(CATALOGUE_ENTRIES.map((e) => [e.id, { url: catalogueUrl(e), file: e.file }]));
}

export const CATALOGUE = { get checkpoint() { return catalogue('checkpoint'); }, get vocab() { return catalogue('vocab'); } };

const FALLBACK_FILE: Record<InputKind, string> = { checkpoint: 'checkpoint.pkl', vocab: CLIP_VOCAB_FILE };
/** The large checkpoint is about 1.7 GB and the CLIP vocabulary 1.3 MB: a bound against a server
 *  (or a chosen file) that would fill the disk or the memory. */
const MAX_BYTES: Record<InputKind, number> = { checkpoint: 4 * 2 ** 30, vocab: 16 * 2 ** 20 };

/** The most bytes an install input may have (a download, a chosen file, an upload through the bridge). */
export function maxInputBytes(kind: InputKind): number {
  return MAX_BYTES[kind];
}

/** Where the bridge's upload route puts a checkpoint picked or dropped in the browser: one fixed
 *  name inside the data folder (never a name or path the caller chooses). The installer removes it
 *  once the install has ended, installed or not. */
export function uploadedCheckpointPath(dataDir: string): string {
  return path.join(dataDir, 'uploads', 'uploaded-checkpoint.pkl');
}

/** sha256 of files whose published content we know (by file name). The checkpoints' are not published. */
export const KNOWN_SHA256: Record<string, string> = { [CLIP_VOCAB_FILE]: CLIP_VOCAB_SHA256 };

export type Source = { type: 'url'; kind: InputKind; url: string; file: string; sha256?: string; catalogue?: boolean } | { type: 'local'; kind: InputKind; path: string };
/** name: the file name the pack records; source: the URL, or the chosen file's name */
export interface InputFile { file: string; downloaded: boolean; name: string; source: string }
/** rate in bytes/s, eta in seconds (null until a rate is known) */
export interface DownloadHooks { signal?: AbortSignal; onProgress?: (done: number, total: number, file: string, rate: number, eta: number | null) => void }

/** Drops in the middle of a transfer are resumed with Range this many times before giving up. */
const RESUME_TRIES = 4;

export class InstallInputError extends Error {
  constructor(message: string) { super(message); this.name = 'InstallInputError'; }
}

/** Catalogue id, URL or local path → a checked source; nothing is read or fetched yet. */
export function resolveSource(kind: InputKind, src: string): Source {
  const cat = catalogue(kind);
  const entry = Object.prototype.hasOwnProperty.call(cat, src) ? cat[src] : undefined;
  if (entry?.bundled) return { type: 'local', kind, path: entry.bundled };
  if (entry) return { ...urlSource(kind, urlAllowed(entry.url).href, entry.file), catalogue: true };
  if (isUrl(src)) {
    const url = urlAllowed(src).href;
    const known = Object.values(cat).find((e) => e.url === url);
    return urlSource(kind, url, known?.file ?? FALLBACK_FILE[kind]);
  }
  // The same path rules as every other path entering the service (UNC shares, device paths, /dev…).
  const problem = fsPathProblem(src);
  if (problem) throw new InstallInputError(`${kind}: ${problem}: ${src}`);
  if (!path.isAbsolute(src)) throw new InstallInputError(`${kind}: give an absolute path to a file, a URL or one of ${Object.keys(cat).join(', ')} (got ${src})`);
  return { type: 'local', kind, path: path.normalize(src) };
}

function urlSource(kind: InputKind, url: string, file: string): Extract<Source, { type: 'url' }> {
  // the one vocabulary a MagicLens checkpoint uses: a download must be exactly that file
  return { type: 'url', kind, url, file, ...(kind === 'vocab' ? { sha256: CLIP_VOCAB_SHA256 } : {}) };
}

/** A chosen file must be a regular file of sane size that looks like what it claims to be
 *  (a pickle; a gzip or "#version" BPE text) before the converter parses it. */
export async function checkLocalInput(kind: InputKind, file: string): Promise<InputFile> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new InstallInputError(`file not found: ${file}`);
  }
  if (!st.isFile()) throw new InstallInputError(`${kind}: ${file} is not a regular file`);
  if (st.size > MAX_BYTES[kind]) throw new InstallInputError(`${kind}: ${file} is ${st.size} bytes, more than the ${MAX_BYTES[kind]} accepted`);
  const sha = KNOWN_SHA256[path.basename(file)];
  if (sha) await verifySha256(file, sha);
  const head = Buffer.alloc(8);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const ok = kind === 'checkpoint' ? head[0] === 0x80 : (head[0] === 0x1f && head[1] === 0x8b) || head.toString('latin1').startsWith('#version');
  if (!ok) throw new InstallInputError(kind === 'checkpoint' ? `${file} is not a MagicLens checkpoint (not a pickle file)` : `${file} is not a CLIP BPE vocabulary (neither gzip nor a "#version" text)`);
  return { file, downloaded: false, name: path.basename(file), source: path.basename(file) };
}

/** Downloads into downloads/<fixed name>; a partial download is resumed only for the same URL. */
export async function downloadInput(s: Extract<Source, { type: 'url' }>, downloads: string, o: DownloadHooks): Promise<InputFile> {
  fs.mkdirSync(downloads, { recursive: true });
  const dest = path.join(downloads, s.file);
  const srcNote = `${dest}.src`;
  const sameSource = fs.existsSync(srcNote) && fs.readFileSync(srcNote, 'utf8') === s.url;
  if (!sameSource) for (const f of [dest, `${dest}.part`]) fs.rmSync(f, { force: true });
  if (sameSource && fs.existsSync(dest) && (!s.sha256 || (await verifySha256(dest, s.sha256).then(() => true, () => false)))) return { file: dest, downloaded: true, name: s.file, source: s.url };
  fs.writeFileSync(srcNote, s.url);
  const rate = rateMeter();
  for (let attempt = 1; ; attempt++) {
    try {
      await download(s.url, dest, {
        sha256: s.sha256,
        maxBytes: MAX_BYTES[s.kind],
        // converting a checkpoint writes the pack (about its size) and the optimised-graph cache (again)
        extraSpace: (total) => (s.kind === 'checkpoint' ? 2 * total : 0),
        signal: o.signal,
        onProgress: (done, total) => {
          const r = rate(done);
          o.onProgress?.(done, total, s.file, r, r > 0 && total > 0 ? (total - done) / r : null);
        },
      });
      break;
    } catch (e) {
      const resumable = e instanceof DownloadError && (e.kind === 'truncated' || e.kind === 'cancelled');
      // nothing to resume: no note (or part) stays behind
      if (!resumable) for (const f of [srcNote, `${dest}.part`]) fs.rmSync(f, { force: true });
      if (!(e instanceof DownloadError) || e.kind !== 'truncated' || attempt >= RESUME_TRIES || o.signal?.aborted) throw e;
      await new Promise((r) => setTimeout(r, 250 * attempt)); // the connection dropped: resume from the .part
    }
  }
  return { file: dest, downloaded: true, name: s.file, source: s.url };
}

/** Bytes per second over the last ~5 s of progress (a sliding window, so a resumed download's
 *  first callback, which reports the bytes already on disk, does not count as speed). */
function rateMeter(): (done: number) => number {
  const samples: { t: number; done: number }[] = [];
  return (done) => {
    const t = performance.now();
    if (samples.length > 0 && done < samples[samples.length - 1]!.done) samples.length = 0;
    samples.push({ t, done });
    while (samples.length > 2 && t - samples[0]!.t > 5000) samples.shift();
    const first = samples[0]!;
    const dt = (t - first.t) / 1000;
    return dt > 0.2 ? (done - first.done) / dt : 0;
  };
}

/** Removes a finished download and its source note (after an install, or when its content proved bad). */
export function dropDownload(f: InputFile): void {
  if (!f.downloaded) return;
  for (const x of [f.file, `${f.file}.src`]) fs.rmSync(x, { force: true });
}

export class InstallBusyError extends Error {
  constructor(message: string) { super(message); this.name = 'InstallBusyError'; }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One install at a time per data folder, across processes (app and CLI): an exclusive lock file
 *  holding the owner's pid; a lock left by a process that died is taken over. */
export class InstallLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): InstallLock {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'install.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
        return new InstallLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = Number(fs.readFileSync(file, 'utf8'));
        if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) throw new InstallBusyError(`another model install is running (process ${owner}); wait for it or cancel it`);
        fs.rmSync(file, { force: true });
      }
    }
    throw new InstallBusyError('another model install is starting; try again');
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}

export { DownloadError };
