// Smart albums: the saved query (and the query vector it resolved to, per model) plus scored
// membership rows, so the album view is a plain indexed read and new photos only need scoring.
// Manual albums (kind 'manual') have no query or rule; their rows' score is the time the photo
// was added, so they read newest-added first through the same index.
import type { AlbumQuery, AlbumRule, SearchFilters } from '../api/contract.js';
import { stmt, type Db } from './db.js';
import { asFloat32 } from './vectors.js';

export interface AlbumRow {
  id: number;
  name: string;
  kind: 'smart' | 'manual';
  /** null for a manual album */
  query: AlbumQuery | null;
  rule: AlbumRule | null;
  filters: SearchFilters;
  modelId: string | null;
  queryVec: Float32Array | null;
  createdAt: number;
  updatedAt: number;
}

interface Raw {
  id: number;
  name: string;
  kind: 'smart' | 'manual';
  query_json: string;
  rule_json: string;
  filters_json: string;
  model_id: string | null;
  query_vec: Buffer | null;
  created_at: number;
  updated_at: number;
}

function fromRaw(r: Raw): AlbumRow {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    query: JSON.parse(r.query_json) as AlbumQuery | null,
    rule: JSON.parse(r.rule_json) as AlbumRule | null,
    filters: JSON.parse(r.filters_json) as SearchFilters,
    modelId: r.model_id,
    queryVec: r.query_vec ? asFloat32(r.query_vec) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class AlbumRepo {
  constructor(private readonly db: Db) {}

  all(): AlbumRow[] {
    return (stmt(this.db, 'SELECT * FROM albums ORDER BY id').all() as Raw[]).map(fromRaw);
  }
  get(id: number): AlbumRow | undefined {
    const r = stmt(this.db, 'SELECT * FROM albums WHERE id = ?').get(id) as Raw | undefined;
    return r ? fromRaw(r) : undefined;
  }
  insert(a: { name: string; query: AlbumQuery; rule: AlbumRule; filters: SearchFilters }): number {
    const now = Date.now();
    return Number(
      stmt(this.db, 'INSERT INTO albums (name, query_json, rule_json, filters_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(a.name, JSON.stringify(a.query), JSON.stringify(a.rule), JSON.stringify(a.filters), now, now).lastInsertRowid,
    );
  }
  insertManual(name: string): number {
    const now = Date.now();
    return Number(
      stmt(this.db, `INSERT INTO albums (name, kind, query_json, rule_json, filters_json, created_at, updated_at) VALUES (?, 'manual', 'null', 'null', '{}', ?, ?)`)
        .run(name, now, now).lastInsertRowid,
    );
  }
  /** Adds photos to a manual album (ids not in the library are skipped); returns how many were new. */
  addMembers(id: number, photoIds: readonly number[]): number {
    return this.db.transaction(() => {
      const n = stmt(this.db, 'INSERT OR IGNORE INTO album_photos (album_id, photo_id, score) SELECT ?, id, ? FROM photos WHERE id IN (SELECT value FROM json_each(?))')
        .run(id, Date.now(), JSON.stringify(photoIds)).changes;
      if (n > 0) stmt(this.db, 'UPDATE albums SET updated_at = ? WHERE id = ?').run(Date.now(), id);
      return n;
    })();
  }
  removeMembers(id: number, photoIds: readonly number[]): number {
    return this.db.transaction(() => {
      const n = stmt(this.db, 'DELETE FROM album_photos WHERE album_id = ? AND photo_id IN (SELECT value FROM json_each(?))').run(id, JSON.stringify(photoIds)).changes;
      if (n > 0) stmt(this.db, 'UPDATE albums SET updated_at = ? WHERE id = ?').run(Date.now(), id);
      return n;
    })();
  }
  update(id: number, a: { name?: string; rule?: AlbumRule; filters?: SearchFilters }): void {
    // A manual album keeps 'null' for its rule: only its name changes.
    const cur = this.get(id);
    if (!cur) return;
    stmt(this.db, 'UPDATE albums SET name = ?, rule_json = ?, filters_json = ?, updated_at = ? WHERE id = ?')
      .run(a.name ?? cur.name, JSON.stringify(a.rule ?? cur.rule), JSON.stringify(a.filters ?? cur.filters), Date.now(), id);
  }
  setQueryVec(id: number, modelId: string, v: Float32Array): void {
    stmt(this.db, 'UPDATE albums SET model_id = ?, query_vec = ? WHERE id = ?').run(modelId, Buffer.from(v.buffer, v.byteOffset, v.byteLength), id);
  }
  delete(id: number): boolean {
    return stmt(this.db, 'DELETE FROM albums WHERE id = ?').run(id).changes > 0;
  }

  /** Replace the whole membership (after a full search). */
  setMembers(id: number, members: { id: number; score: number }[]): void {
    // One transaction (a savepoint when nested in the indexer's batch): never a half-written album.
    this.db.transaction(() => {
      stmt(this.db, 'DELETE FROM album_photos WHERE album_id = ?').run(id);
      const ins = stmt(this.db, 'INSERT INTO album_photos (album_id, photo_id, score) VALUES (?, ?, ?)');
      for (const m of members) ins.run(id, m.id, m.score);
      stmt(this.db, 'UPDATE albums SET updated_at = ? WHERE id = ?').run(Date.now(), id);
    })();
  }
  members(id: number, offset: number, limit: number): { id: number; score: number }[] {
    return stmt(this.db, 'SELECT photo_id AS id, score FROM album_photos WHERE album_id = ? ORDER BY score DESC, photo_id LIMIT ? OFFSET ?')
      .all(id, limit, offset) as { id: number; score: number }[];
  }
  allMembers(id: number): { id: number; score: number }[] {
    return stmt(this.db, 'SELECT photo_id AS id, score FROM album_photos WHERE album_id = ? ORDER BY score DESC, photo_id').all(id) as { id: number; score: number }[];
  }
  count(id: number): number {
    return (stmt(this.db, 'SELECT count(*) AS n FROM album_photos WHERE album_id = ?').get(id) as { n: number }).n;
  }
  cover(id: number): number | null {
    return (stmt(this.db, 'SELECT photo_id AS id FROM album_photos WHERE album_id = ? ORDER BY score DESC, photo_id LIMIT 1').get(id) as { id: number } | undefined)?.id ?? null;
  }
  albumsContaining(photoId: number): number[] {
    return (stmt(this.db, 'SELECT album_id AS id FROM album_photos WHERE photo_id = ?').all(photoId) as { id: number }[]).map((r) => r.id);
  }
  removePhoto(photoId: number): void {
    stmt(this.db, 'DELETE FROM album_photos WHERE photo_id = ?').run(photoId);
  }
}
