// What the renderer may hand the service, beyond the contract's schemas (Electron-free, testable).
// The renderer is the least trusted process: a compromised page must not be able to name files
// or URLs of its own choosing. So, in the desktop app:
// - a filesystem path reaches the service only if main's own native dialog returned it to this
//   renderer (a grant per picked path, kept for a while, per purpose);
// - a model download names a catalogue id, or an https URL on a catalogue host (plus loopback,
//   which the tests and a local mirror use). The installer enforces its own URL rules again.
// The HTTP bridge has no native dialog and keeps typed paths (README "HTTP bridge").
import { ApiError, type Method } from '../app/api/contract.js';
import type { ShellMethod } from '../app/api/shell.js';

export type GrantKind = 'folder' | 'image' | 'file';

/** Which dialog grants which kind of path. */
export const DIALOG_GRANTS: Partial<Record<ShellMethod, GrantKind>> = {
  'shell.pickFolder': 'folder',
  'shell.pickImage': 'image',
  'shell.pickFile': 'file',
};

/** Paths main's dialogs returned, by purpose; bounded in number and age. */
export class PathGrants {
  private readonly grants = new Map<string, number>();

  constructor(
    private readonly max = 64,
    private readonly ttlMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  grant(kind: GrantKind, p: string): void {
    const key = `${kind}\0${p}`;
    this.grants.delete(key); // re-insert: the Map's order is the eviction order
    this.grants.set(key, this.now());
    while (this.grants.size > this.max) this.grants.delete(this.grants.keys().next().value!);
  }

  has(kind: GrantKind, p: string): boolean {
    const at = this.grants.get(`${kind}\0${p}`);
    if (at === undefined) return false;
    if (this.now() - at > this.ttlMs) {
      this.grants.delete(`${kind}\0${p}`);
      return false;
    }
    return true;
  }
}

/** Hosts the model catalogue downloads from (app/model: the official checkpoints, CLIP's vocabulary). */
export const CATALOGUE_HOSTS = ['storage.googleapis.com', 'github.com'] as const;
const CATALOGUE_ID = /^[a-z][a-z0-9-]{0,63}$/;

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Null when `src` may be a model-install input from the renderer, else why not. */
export function installSourceProblem(src: string, grants: PathGrants): string | null {
  if (CATALOGUE_ID.test(src)) return null; // a catalogue id; the installer refuses unknown ones
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src)) {
    let u: URL;
    try {
      u = new URL(src);
    } catch {
      return 'not a valid URL';
    }
    if (u.username || u.password) return 'URLs with a user name or password are not accepted';
    if (isLoopback(u.hostname) && (u.protocol === 'http:' || u.protocol === 'https:')) return null;
    if (u.protocol !== 'https:') return 'only https downloads are accepted';
    if (!(CATALOGUE_HOSTS as readonly string[]).includes(u.hostname.toLowerCase())) return `downloads come only from ${CATALOGUE_HOSTS.join(', ')}`;
    if (u.port !== '') return 'downloads use the default https port';
    return null;
  }
  return grants.has('file', src) ? null : 'choose the file with Browse… (typed paths are not accepted in the desktop app)';
}

/**
 * Throws unless every path or URL in these (schema-checked) params came from main: a dialog's
 * grant, or the model catalogue. Methods without paths pass untouched.
 */
export function checkRendererParams(method: Method, params: unknown, grants: PathGrants): void {
  const p = params as Record<string, unknown>;
  if (method === 'folders.add') {
    if (!grants.has('folder', p.path as string)) throw new ApiError('unauthorized', 'add folders with the "Add folder" dialog (typed paths are not accepted in the desktop app)');
  } else if (method === 'search.compose' || method === 'search.similar' || method === 'search.sketch') {
    const photo = p.photo as { path?: string };
    if (photo.path !== undefined && !grants.has('image', photo.path)) throw new ApiError('unauthorized', 'choose the query image with the "open image" dialog');
  } else if (method === 'models.install') {
    for (const key of ['checkpoint', 'vocab'] as const) {
      const problem = installSourceProblem(p[key] as string, grants);
      if (problem) throw new ApiError('unauthorized', `${key}: ${problem}`);
    }
  }
}
