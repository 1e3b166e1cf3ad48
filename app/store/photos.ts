// Photo rows: one per file path. Identity across moves/renames comes from the content hash
// (the library layer moves a row to its new path instead of creating a new one), so the row id,
// its embeddings and album membership survive a rename.
import path from 'node:path';
import type { Photo } from '../api/contract.js';
import { stmt, type Db } from './db.js';

export interface PhotoRow {
  id: number;
  path: string;
  folder_id: number | null;
  hash: string;
  size: number;
  mtime_ms: number;
  width: number | null;
  height: number | null;
  taken_at: number | null;
  camera: string | null;
  format: string | null;
  orientation: number | null;
  status: 'pending' | 'indexed' | 'error';
  error: string | null;
  added_at: number;
  updated_at: number;
  /** 1 when marked as a favourite (schema 4; absent on rows read before migrating) */
  favourite?: number;
}

export interface PhotoMeta {
  width: number | null;
  height: number | null;
  takenAt: number | null;
  camera: string | null;
  format: string | null;
  orientation: number | null;
}

export function toPhoto(r: PhotoRow): Photo {
  return {
    id: r.id,
    hash: r.hash,
    path: r.path,
    name: path.basename(r.path),
    folderId: r.folder_id,
    size: r.size,
    mtimeMs: r.mtime_ms,
    width: r.width,
    height: r.height,
    takenAt: r.taken_at,
    camera: r.camera,
    format: r.format,
    status: r.status,
    error: r.error,
    favourite: r.favourite === 1,
  };
}

export class PhotoRepo {
  constructor(private readonly db: Db) {}

  get(id: number): PhotoRow | undefined {
    return stmt(this.db, 'SELECT * FROM photos WHERE id = ?').get(id) as PhotoRow | undefined;
  }

  byPath(p: string): PhotoRow | undefined {
    return stmt(this.db, 'SELECT * FROM photos WHERE path = ?').get(p) as PhotoRow | undefined;
  }

  byIds(ids: readonly number[]): Map<number, PhotoRow> {
    const out = new Map<number, PhotoRow>();
    if (ids.length === 0) return out;
    const rows = stmt(this.db, 'SELECT * FROM photos WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as PhotoRow[];
    for (const r of rows) out.set(r.id, r);
    return out;
  }

  /** Rows whose path lies under `dir` (a folder or a subfolder being rescanned). */
  underDir(dir: string): PhotoRow[] {
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    // substr comparison instead of LIKE: paths may contain % and _.
    return stmt(this.db, 'SELECT * FROM photos WHERE substr(path, 1, ?) = ?').all(prefix.length, prefix) as PhotoRow[];
  }

  inFolder(folderId: number): PhotoRow[] {
    return stmt(this.db, 'SELECT * FROM photos WHERE folder_id = ?').all(folderId) as PhotoRow[];
  }

  /** Another row with the same content that is still on disk (a duplicate) or gone (a move). */
  withHash(hash: string): PhotoRow[] {
    if (!hash) return [];
    return stmt(this.db, 'SELECT * FROM photos WHERE hash = ? ORDER BY id').all(hash) as PhotoRow[];
  }

  insert(p: { path: string; folderId: number | null; hash: string; size: number; mtimeMs: number; status?: PhotoRow['status']; error?: string | null }): number {
    const now = Date.now();
    const r = stmt(this.db, 'INSERT INTO photos (path, folder_id, hash, size, mtime_ms, status, error, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(p.path, p.folderId, p.hash, p.size, p.mtimeMs, p.status ?? 'pending', p.error ?? null, now, now);
    return Number(r.lastInsertRowid);
  }

  /** A move or rename: same content, new place. Keeps id, embeddings, albums. */
  move(id: number, to: { path: string; folderId: number | null; size: number; mtimeMs: number }): void {
    stmt(this.db, 'UPDATE photos SET path = ?, folder_id = ?, size = ?, mtime_ms = ?, updated_at = ? WHERE id = ?').run(to.path, to.folderId, to.size, to.mtimeMs, Date.now(), id);
  }

  touch(id: number, size: number, mtimeMs: number): void {
    stmt(this.db, 'UPDATE photos SET size = ?, mtime_ms = ?, updated_at = ? WHERE id = ?').run(size, mtimeMs, Date.now(), id);
  }

  /** New content at a known path (or a retry): back to pending, metadata cleared. */
  resetContent(id: number, c: { hash: string; size: number; mtimeMs: number; folderId: number | null }): void {
    stmt(this.db, `UPDATE photos SET hash = ?, size = ?, mtime_ms = ?, folder_id = ?, status = 'pending', error = NULL, width = NULL, height = NULL,
         taken_at = NULL, camera = NULL, format = NULL, orientation = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(c.hash, c.size, c.mtimeMs, c.folderId, Date.now(), id);
  }

  setError(id: number, reason: string, c?: { hash: string; size: number; mtimeMs: number }): void {
    if (c) {
      stmt(this.db, `UPDATE photos SET status = 'error', error = ?, hash = ?, size = ?, mtime_ms = ?, updated_at = ? WHERE id = ?`).run(reason, c.hash, c.size, c.mtimeMs, Date.now(), id);
    } else {
      stmt(this.db, `UPDATE photos SET status = 'error', error = ?, updated_at = ? WHERE id = ?`).run(reason, Date.now(), id);
    }
  }

  setIndexed(id: number, meta: PhotoMeta): void {
    stmt(this.db, `UPDATE photos SET status = 'indexed', error = NULL, width = ?, height = ?, taken_at = ?, camera = ?, format = ?, orientation = ?, updated_at = ? WHERE id = ?`)
      .run(meta.width, meta.height, meta.takenAt, meta.camera, meta.format, meta.orientation, Date.now(), id);
  }

  setMeta(id: number, meta: PhotoMeta): void {
    stmt(this.db, `UPDATE photos SET width = ?, height = ?, taken_at = ?, camera = ?, format = ?, orientation = ?, updated_at = ? WHERE id = ?`)
      .run(meta.width, meta.height, meta.takenAt, meta.camera, meta.format, meta.orientation, Date.now(), id);
  }

  delete(id: number): void {
    stmt(this.db, 'DELETE FROM photos WHERE id = ?').run(id);
  }

  pendingIds(limit: number, afterId = 0): number[] {
    return (stmt(this.db, `SELECT id FROM photos WHERE status = 'pending' AND id > ? ORDER BY id LIMIT ?`).all(afterId, limit) as { id: number }[]).map((r) => r.id);
  }

  countByStatus(): { total: number; indexed: number; pending: number; errors: number } {
    const rows = stmt(this.db, 'SELECT status, count(*) AS n FROM photos GROUP BY status').all() as { status: string; n: number }[];
    const c = { total: 0, indexed: 0, pending: 0, errors: 0 };
    for (const r of rows) {
      c.total += r.n;
      if (r.status === 'indexed') c.indexed = r.n;
      else if (r.status === 'pending') c.pending = r.n;
      else c.errors = r.n;
    }
    return c;
  }

  /** Marks or unmarks photos as favourites; returns how many rows changed. */
  setFavourite(ids: readonly number[], favourite: boolean): number {
    return stmt(this.db, 'UPDATE photos SET favourite = ? WHERE favourite != ? AND id IN (SELECT value FROM json_each(?))').run(favourite ? 1 : 0, favourite ? 1 : 0, JSON.stringify(ids)).changes;
  }

  list(opts: { offset: number; limit: number; folderId?: number; sort: 'date-desc' | 'date-asc' | 'name'; hideErrors?: boolean; favourites?: boolean }): { items: PhotoRow[]; total: number } {
    const conds = [opts.folderId !== undefined ? 'folder_id = ?' : null, opts.hideErrors ? "status != 'error'" : null, opts.favourites ? 'favourite = 1' : null].filter(Boolean);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const args: unknown[] = opts.folderId !== undefined ? [opts.folderId] : [];
    // Photos without EXIF dates sort by file mtime so the grid has a stable, sensible order.
    const order =
      opts.sort === 'name' ? 'path COLLATE NOCASE ASC, id ASC' : opts.sort === 'date-asc' ? 'coalesce(taken_at, mtime_ms) ASC, id ASC' : 'coalesce(taken_at, mtime_ms) DESC, id DESC';
    const items = stmt(this.db, `SELECT * FROM photos ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...args, opts.limit, opts.offset) as PhotoRow[];
    const total = (stmt(this.db, `SELECT count(*) AS n FROM photos ${where}`).get(...args) as { n: number }).n;
    return { items, total };
  }

  /**
   * Photos per day of capture in list() order (date sorts). Days are UTC calendar days of the
   * stored time: EXIF dates are stored as the camera's wall-clock time read as UTC, so this is the
   * day the camera showed. fileTime counts the photos dated by file time (no EXIF date).
   */
  timeline(opts: { folderId?: number; sort: 'date-desc' | 'date-asc'; hideErrors?: boolean; favourites?: boolean }): { day: string; count: number; fileTime: number }[] {
    const conds = [opts.folderId !== undefined ? 'folder_id = ?' : null, opts.hideErrors ? "status != 'error'" : null, opts.favourites ? 'favourite = 1' : null].filter(Boolean);
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const args: unknown[] = opts.folderId !== undefined ? [opts.folderId] : [];
    const sql = `SELECT strftime('%Y-%m-%d', coalesce(taken_at, mtime_ms) / 1000, 'unixepoch') AS day, count(*) AS count, sum(taken_at IS NULL) AS fileTime
      FROM photos ${where} GROUP BY day ORDER BY day ${opts.sort === 'date-asc' ? 'ASC' : 'DESC'}`;
    return stmt(this.db, sql).all(...args) as { day: string; count: number; fileTime: number }[];
  }

  errors(offset: number, limit: number): { items: PhotoRow[]; total: number } {
    const items = stmt(this.db, `SELECT * FROM photos WHERE status = 'error' ORDER BY path LIMIT ? OFFSET ?`).all(limit, offset) as PhotoRow[];
    const total = (stmt(this.db, `SELECT count(*) AS n FROM photos WHERE status = 'error'`).get() as { n: number }).n;
    return { items, total };
  }
}
