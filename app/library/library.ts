// The library: folders the user added, the scan that brings the photos table in line with the
// disk, and the watcher that keeps it there. One reconcile step serves both: given files that
// exist (with size/mtime) and rows whose files are gone, it
//   - skips files whose size+mtime are unchanged (no hashing: the fast path),
//   - hashes the rest; a new path whose hash matches a gone row is a MOVE (row keeps id,
//     embeddings, album membership), otherwise a new pending row; a known path with a new hash is
//     a CHANGE (vectors dropped, back to pending, re-embedded),
//   - deletes gone rows that nothing claimed (after a grace period when watching, because a
//     rename arrives from chokidar as unlink + a later add).
// Each batch is applied in one transaction, so a crash leaves the table consistent.
import fs from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { ApiError } from '../api/contract.js';
import type { Db } from '../store/db.js';
import { excludeOf, type FolderRepo, type FolderRow } from '../store/folders.js';
import type { PhotoRepo, PhotoRow } from '../store/photos.js';
import type { VectorStore } from '../store/vectors.js';
import type { AlbumRepo } from '../store/albums.js';
import { hashFile } from './hash.js';
import { makeIgnore, type IgnoreFn } from './ignore.js';
import { fsReason, statEntry, unchangedSinceScan, walk, type WalkEntry } from './walk.js';

export interface LibraryEvents {
  /** Rows were added/changed/removed. `pending` > 0: the indexer has work. */
  changed(c: { added: number; updated: number; removed: number; pending: number; affectedAlbums: number[] }): void;
  foldersChanged(): void;
  /** Content hashes no row refers to any more (their cached thumbnails can go). */
  hashesDropped?(hashes: string[]): void;
}

export interface LibraryOptions {
  watch: boolean;
  /** chokidar awaitWriteFinish stability threshold. */
  stabilityMs?: number;
  /** How long a vanished file waits for its add (a rename) before its row is deleted. */
  graceMs?: number;
}

const HASH_CONCURRENCY = 4;
const APPLY_CHUNK = 256;

type Found = { path: string; folderId: number; size: number; mtimeMs: number };
type Failed = { path: string; folderId: number; error: string };
/** A seen file on its way through reconcile: its row before hashing, and the hash when one was needed. */
type Seen = { e: Found | Failed; row: PhotoRow | undefined; hash: string | null; err: string | null };
/** What one reconcile changed, for the `changed` event. */
type Tally = { added: number; updated: number; removed: number; pending: number; affected: Set<number> };

export class Library {
  private watcher: FSWatcher | null = null;
  private ignores = new Map<number, IgnoreFn>();
  private queued = new Map<string, 'path' | 'dir-add' | 'dir-gone'>();
  private flushTimer: NodeJS.Timeout | null = null;
  private limbo = new Map<number, { row: PhotoRow; until: number }>();
  private limboTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private dropped: string[] = [];
  private readonly stabilityMs: number;
  private readonly graceMs: number;
  busy = 0;

  constructor(
    private readonly db: Db,
    private readonly folders: FolderRepo,
    private readonly photos: PhotoRepo,
    private readonly vectors: VectorStore,
    private readonly albums: AlbumRepo,
    private readonly events: LibraryEvents,
    private readonly opts: LibraryOptions,
  ) {
    this.stabilityMs = opts.stabilityMs ?? 400;
    this.graceMs = opts.graceMs ?? Math.max(3000, this.stabilityMs * 5);
    for (const f of this.folders.all()) this.ignores.set(f.id, makeIgnore(f.path, excludeOf(f)));
  }

  // ---- folders ----

  async addFolder(input: string, exclude: string[]): Promise<FolderRow> {
    const abs = path.resolve(input);
    let real: string;
    try {
      real = await fs.promises.realpath(abs);
      if (!(await fs.promises.stat(real)).isDirectory()) throw new ApiError('bad_input', `not a folder: ${abs}`);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('bad_input', `cannot open folder ${abs}: ${fsReason(err)}`);
    }
    const existing = this.folders.byPath(real);
    if (existing) return existing;
    for (const f of this.folders.all()) {
      // Nested roots would give one file two owners; the outer folder already covers the inner.
      if (isInside(real, f.path) || isInside(f.path, real)) {
        throw new ApiError('conflict', `${real} overlaps the library folder ${f.path}; remove that one first or add a folder that does not contain it`);
      }
    }
    const id = this.folders.insert(real, exclude);
    const row = this.folders.get(id)!;
    this.ignores.set(id, makeIgnore(real, exclude));
    this.events.foldersChanged();
    if (this.opts.watch) await this.watchRoot(row);
    return row;
  }

  async removeFolder(id: number): Promise<boolean> {
    const f = this.folders.get(id);
    if (!f) return false;
    await this.serial(async () => {
      const rows = this.photos.inFolder(id);
      const affected = new Set<number>();
      this.db.transaction(() => {
        for (const r of rows) this.deleteRow(r, affected);
        this.folders.delete(id);
      })();
      this.ignores.delete(id);
      this.flushDropped();
      this.events.changed({ added: 0, updated: 0, removed: rows.length, pending: 0, affectedAlbums: [...affected] });
    });
    this.events.foldersChanged();
    if (this.opts.watch && this.watcher) await this.watcher.unwatch(f.path);
    return true;
  }

  async setExclusions(id: number, exclude: string[]): Promise<FolderRow> {
    const f = this.folders.get(id);
    if (!f) throw new ApiError('not_found', `no folder ${id}`);
    this.folders.setExclude(id, exclude);
    this.ignores.set(id, makeIgnore(f.path, exclude));
    this.events.foldersChanged();
    if (this.opts.watch) await this.restartWatcher();
    // Newly excluded photos leave the index, newly included ones arrive: a rescan does both.
    await this.scan([id]);
    return this.folders.get(id)!;
  }

  available(f: FolderRow): boolean {
    try {
      return fs.statSync(f.path).isDirectory();
    } catch {
      return false;
    }
  }

  folderFor(p: string): FolderRow | undefined {
    return this.folders.all().find((f) => isInside(p, f.path));
  }

  // ---- full scan ----

  /** Walks the folders (all when omitted) and reconciles; returns how many files were seen. */
  scan(folderIds?: number[]): Promise<number> {
    return this.serial(async () => {
      const targets = folderIds ? folderIds.map((id) => this.folders.get(id)).filter((f): f is FolderRow => !!f) : this.folders.all();
      const seen: (Found | Failed)[] = [];
      const gone: PhotoRow[] = [];
      for (const f of targets) {
        const ignore = this.ignores.get(f.id) ?? makeIgnore(f.path, excludeOf(f));
        const paths = new Set<string>();
        try {
          for await (const e of walk(f.path, ignore, this.rootPaths())) {
            paths.add(e.path);
            seen.push({ ...e, folderId: f.id });
          }
        } catch {
          // Root unreadable or unmounted: keep its rows (an unplugged drive must not empty the
          // library); it shows as unavailable.
          continue;
        }
        for (const r of this.photos.inFolder(f.id)) if (!paths.has(r.path)) gone.push(r);
      }
      await this.reconcile(seen, gone, 0);
      return seen.length;
    });
  }

  // ---- watching ----

  async startWatching(): Promise<void> {
    if (!this.opts.watch || this.closed) return;
    await this.restartWatcher();
  }

  /** Adds a newly added root to the running watcher (other roots keep their events flowing). */
  private async watchRoot(f: FolderRow): Promise<void> {
    if (!this.watcher) return this.restartWatcher();
    if (!this.available(f)) return;
    const w = this.watcher;
    await new Promise<void>((resolve) => {
      w.once('ready', () => resolve());
      w.add(f.path);
      // chokidar emits 'ready' again only for some add() calls; do not hang on it.
      setTimeout(resolve, 2000).unref();
    });
  }

  /** The library folders (stored as real paths): where a followed symlink may point. */
  private rootPaths(): string[] {
    return this.folders.all().map((f) => f.path);
  }

  private rootFor(p: string): FolderRow | undefined {
    return this.folders.all().find((r) => isInside(p, r.path) || p === r.path);
  }

  private async restartWatcher(): Promise<void> {
    if (this.watcher) {
      await this.watcher.close();
      this.watcher = null;
    }
    const roots = this.folders.all().filter((f) => this.available(f));
    if (roots.length === 0 || this.closed) return;
    const w = watch(
      roots.map((f) => f.path),
      {
        ignoreInitial: true,
        followSymlinks: false,
        awaitWriteFinish: { stabilityThreshold: this.stabilityMs, pollInterval: Math.max(20, Math.floor(this.stabilityMs / 5)) },
        ignored: (p: string, stats?: fs.Stats) => {
          const f = this.rootFor(p);
          if (!f || p === f.path) return false;
          const ignore = this.ignores.get(f.id);
          if (!ignore) return false;
          return ignore(p, stats ? (stats.isDirectory() ? 'dir' : 'file') : 'unknown');
        },
      },
    );
    w.on('add', (p) => this.enqueue(p, 'path'));
    w.on('change', (p) => this.enqueue(p, 'path'));
    w.on('unlink', (p) => this.enqueue(p, 'path'));
    w.on('addDir', (p) => this.enqueue(p, 'dir-add'));
    w.on('unlinkDir', (p) => this.enqueue(p, 'dir-gone'));
    w.on('error', () => {
      /* a vanished watched dir etc.: the next event or rescan reconciles */
    });
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
    this.watcher = w;
  }

  private enqueue(p: string, kind: 'path' | 'dir-add' | 'dir-gone'): void {
    if (this.closed) return;
    this.queued.set(p, kind);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    // Short debounce: a burst (a folder copied in, a move storm) becomes a few batches.
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.serial(() => this.flush());
    }, 150);
  }

  private async flush(): Promise<void> {
    const items = [...this.queued];
    this.queued.clear();
    const seen: (Found | Failed)[] = [];
    const gone: PhotoRow[] = [];
    const seenPaths = new Set<string>();
    const add = (e: WalkEntry, folderId: number) => {
      if (seenPaths.has(e.path)) return;
      seenPaths.add(e.path);
      seen.push({ ...e, folderId });
    };
    for (const [p, kind] of items) {
      const f = this.folderFor(p);
      if (!f) continue;
      const ignore = this.ignores.get(f.id) ?? makeIgnore(f.path, excludeOf(f));
      if (kind === 'dir-add') {
        try {
          for await (const e of walk(p, ignore, this.rootPaths())) add(e, f.id);
        } catch {
          /* gone again */
        }
      } else if (kind === 'dir-gone') {
        for (const r of this.photos.underDir(p)) if (!fs.existsSync(r.path)) gone.push(r);
      } else {
        if (ignore(p, 'file')) continue;
        const e = await statEntry(p, this.rootPaths());
        if (e) add(e, f.id);
        else {
          const r = this.photos.byPath(p);
          if (r) gone.push(r);
        }
      }
    }
    await this.reconcile(seen, gone, this.graceMs);
  }

  // ---- reconcile ----

  private async reconcile(seen: (Found | Failed)[], gone: PhotoRow[], graceMs: number): Promise<void> {
    const t: Tally = { added: 0, updated: 0, removed: 0, pending: 0, affected: new Set<number>() };
    const goneByHash = new Map<string, PhotoRow[]>();
    for (const r of gone) if (r.hash) (goneByHash.get(r.hash) ?? goneByHash.set(r.hash, []).get(r.hash)!).push(r);
    const claimed = new Set<number>();

    for (let i = 0; i < seen.length; i += APPLY_CHUNK) {
      if (this.closed) return;
      const work = await this.hashChunk(seen.slice(i, i + APPLY_CHUNK));
      this.db.transaction(() => {
        for (const w of work) this.applySeen(w, t, goneByHash, claimed);
      })();
      // A large first scan hashes every file: the photos of each finished chunk are announced at once,
      // so the grid and the index pass start on them instead of waiting for the whole folder.
      if (i + APPLY_CHUNK < seen.length && t.pending > 0) {
        this.events.changed({ added: t.added, updated: t.updated, removed: 0, pending: t.pending, affectedAlbums: [] });
        t.added = t.updated = t.pending = 0;
      }
    }

    this.retireGone(gone.filter((r) => !claimed.has(r.id)), graceMs, t);
    this.flushDropped();
    const { added, updated, removed, pending, affected } = t;
    if (added + updated + removed > 0) this.events.changed({ added, updated, removed, pending, affectedAlbums: [...affected] });
  }

  /** Hashes (async, outside any transaction) only what the size/mtime fast path cannot settle. */
  private async hashChunk(chunk: (Found | Failed)[]): Promise<Seen[]> {
    const work: Seen[] = chunk.map((e) => ({ e, row: this.photos.byPath(e.path), hash: null, err: null }));
    await mapLimit(work, HASH_CONCURRENCY, async (w) => {
      if ('error' in w.e) return;
      const r = w.row;
      if (r && unchangedSinceScan(r, w.e)) return; // fast path
      try {
        w.hash = (await hashFile(w.e.path)).hash;
      } catch (err) {
        w.err = fsReason(err);
      }
    });
    return work;
  }

  /** One seen file, inside the chunk's transaction: error, unchanged, changed, moved or new. */
  private applySeen(w: Seen, t: Tally, goneByHash: Map<string, PhotoRow[]>, claimed: Set<number>): void {
    const e = w.e;
    const row = this.photos.byPath(e.path); // re-read inside the transaction
    if ('error' in e || w.err) {
      this.applyFailure(e, 'error' in e ? e.error : w.err!, row, t);
      return;
    }
    if (w.hash === null) {
      if (row && row.folder_id !== e.folderId) this.photos.move(row.id, { path: e.path, folderId: e.folderId, size: e.size, mtimeMs: e.mtimeMs });
      return;
    }
    if (row) {
      if (row.hash === w.hash) {
        this.photos.touch(row.id, e.size, e.mtimeMs);
      } else {
        // Changed content at the same path: same photo id, new embedding.
        this.dropVectors(row, t.affected);
        if (row.hash) this.dropped.push(row.hash);
        this.photos.resetContent(row.id, { hash: w.hash, size: e.size, mtimeMs: e.mtimeMs, folderId: e.folderId });
        t.updated++;
        t.pending++;
      }
      return;
    }
    // A new path: a move if a vanished row (now or in limbo) had this content.
    const from = this.takeGone(w.hash, goneByHash, claimed);
    if (from) {
      this.photos.move(from.id, { path: e.path, folderId: e.folderId, size: e.size, mtimeMs: e.mtimeMs });
      t.updated++;
      return;
    }
    this.photos.insert({ path: e.path, folderId: e.folderId, hash: w.hash, size: e.size, mtimeMs: e.mtimeMs });
    t.added++;
    t.pending++;
  }

  private applyFailure(e: Found | Failed, reason: string, row: PhotoRow | undefined, t: Tally): void {
    if (row) {
      if (row.status !== 'error' || row.error !== reason) {
        this.dropVectors(row, t.affected);
        this.photos.setError(row.id, reason);
        t.updated++;
      }
    } else {
      this.photos.insert({ path: e.path, folderId: e.folderId, hash: '', size: 'size' in e ? e.size : 0, mtimeMs: 'mtimeMs' in e ? e.mtimeMs : 0, status: 'error', error: reason });
      t.added++;
    }
  }

  /** Vanished rows nothing claimed as a move: into limbo for `graceMs`, or deleted now. */
  private retireGone(leftover: PhotoRow[], graceMs: number, t: Tally): void {
    if (graceMs > 0) {
      const until = Date.now() + graceMs;
      for (const r of leftover) this.limbo.set(r.id, { row: r, until });
      this.scheduleLimbo();
    } else if (leftover.length > 0) {
      this.db.transaction(() => {
        for (const r of leftover) {
          if (this.photos.get(r.id)?.path === r.path) {
            this.deleteRow(r, t.affected);
            t.removed++;
          }
        }
      })();
    }
  }

  private takeGone(hash: string, goneByHash: Map<string, PhotoRow[]>, claimed: Set<number>): PhotoRow | undefined {
    const list = goneByHash.get(hash);
    while (list && list.length > 0) {
      const r = list.shift()!;
      if (!claimed.has(r.id) && this.photos.get(r.id)?.path === r.path) {
        claimed.add(r.id);
        return r;
      }
    }
    for (const [id, l] of this.limbo) {
      if (l.row.hash === hash && this.photos.get(id)?.path === l.row.path && !fs.existsSync(l.row.path)) {
        this.limbo.delete(id);
        claimed.add(id);
        return l.row;
      }
    }
    return undefined;
  }

  private scheduleLimbo(): void {
    if (this.limboTimer || this.limbo.size === 0 || this.closed) return;
    const next = Math.min(...[...this.limbo.values()].map((l) => l.until));
    this.limboTimer = setTimeout(() => {
      this.limboTimer = null;
      void this.serial(async () => this.expireLimbo());
    }, Math.max(10, next - Date.now()));
  }

  private expireLimbo(): void {
    const now = Date.now();
    const affected = new Set<number>();
    let removed = 0;
    this.db.transaction(() => {
      for (const [id, l] of this.limbo) {
        if (l.until > now) continue;
        this.limbo.delete(id);
        const cur = this.photos.get(id);
        if (cur && cur.path === l.row.path && !fs.existsSync(cur.path)) {
          this.deleteRow(cur, affected);
          removed++;
        }
      }
    })();
    this.flushDropped();
    if (removed > 0) this.events.changed({ added: 0, updated: 0, removed, pending: 0, affectedAlbums: [...affected] });
    this.scheduleLimbo();
  }

  private dropVectors(row: PhotoRow, affected: Set<number>): void {
    for (const a of this.albums.albumsContaining(row.id)) affected.add(a);
    this.albums.removePhoto(row.id);
    this.vectors.deletePhoto(row.id);
  }

  private deleteRow(row: PhotoRow, affected: Set<number>): void {
    this.dropVectors(row, affected);
    this.photos.delete(row.id);
    if (row.hash) this.dropped.push(row.hash);
  }

  private flushDropped(): void {
    if (this.dropped.length === 0) return;
    const gone = [...new Set(this.dropped)].filter((h) => this.photos.withHash(h).length === 0);
    this.dropped = [];
    if (gone.length > 0) this.events.hashesDropped?.(gone);
  }

  /** Whether watcher work is queued or in flight (tests and `index` wait on this). */
  get settling(): boolean {
    return this.busy > 0 || this.queued.size > 0 || this.flushTimer !== null || this.limbo.size > 0;
  }

  /** Scans and watcher batches run one at a time, in order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    const p = this.chain.then(fn, fn);
    this.chain = p.then(
      () => undefined,
      () => undefined,
    );
    return p.finally(() => {
      this.busy--;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.limboTimer) clearTimeout(this.limboTimer);
    if (this.watcher) await this.watcher.close();
    this.watcher = null;
    await this.chain;
  }
}

export function isInside(p: string, root: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]!);
  });
  await Promise.all(workers);
}
