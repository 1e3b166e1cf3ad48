import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../app/store/db.js';
import { LATEST_VERSION, migrate, schemaVersion } from '../../../app/store/migrations.js';
import { PhotoRepo } from '../../../app/store/photos.js';
import { VectorStore } from '../../../app/store/vectors.js';
import { AlbumRepo } from '../../../app/store/albums.js';
import { tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-store-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('migrations', () => {
  it('migrates a version-1 database with data to the latest schema, keeping the data', () => {
    const file = path.join(root, 'old.db');
    const old = openDatabase(file, { migrateTo: 1 });
    expect(schemaVersion(old)).toBe(1);
    old.prepare(`INSERT INTO folders (path, exclude_json, added_at) VALUES ('/photos', '["*.gif"]', 1)`).run();
    old.prepare(`INSERT INTO photos (path, folder_id, hash, size, mtime_ms, status, added_at, updated_at) VALUES ('/photos/a.jpg', 1, 'abc', 10, 5, 'indexed', 1, 1)`).run();
    expect(() => old.prepare('SELECT * FROM albums').all()).toThrow(/no such table/);
    old.close();

    const db = openDatabase(file); // opening migrates
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    const p = new PhotoRepo(db).byPath('/photos/a.jpg');
    expect(p).toMatchObject({ hash: 'abc', status: 'indexed', folder_id: 1 });
    expect(db.prepare('SELECT count(*) AS n FROM albums').get()).toEqual({ n: 0 });
    const idx = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'photos_hash'`).get();
    expect(idx).toBeTruthy();
    expect(migrate(db)).toEqual([]); // idempotent
    db.close();
  });

  it('refuses a database from a newer app', () => {
    const file = path.join(root, 'future.db');
    const db = openDatabase(file);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer than this app/);
  });

  it('uses WAL', () => {
    const db = openDatabase(path.join(root, 'wal.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});

describe('vector store', () => {
  it('keeps one vec0 table per model, replaces vectors, ranks by cosine and deletes across models', () => {
    const db = openDatabase(':memory:');
    const v = new VectorStore(db);
    const a = v.ensureModel('model-a', 4);
    const b = v.ensureModel('model-b', 3);
    expect(a).not.toBe(b);
    expect(v.ensureModel('model-a', 4)).toBe(a);
    expect(() => v.ensureModel('model-a', 8)).toThrow(/dim 4/);
    v.put(a, 'target', 1, new Float32Array([1, 0, 0, 0]));
    v.put(a, 'target', 2, new Float32Array([0.9, 0.1, 0, 0]));
    v.put(a, 'target', 3, new Float32Array([0, 1, 0, 0]));
    v.put(a, 'target', 3, new Float32Array([0, 0, 1, 0])); // replace, not duplicate
    v.put(b, 'target', 1, new Float32Array([1, 2, 3]));
    expect(v.count(a, 'target')).toBe(3);
    const hits = v.knn(a, 'target', new Float32Array([1, 0, 0, 0]), 3);
    expect(hits.map((h) => h.id)).toEqual([1, 2, 3]);
    expect(hits[0]!.score).toBeCloseTo(1, 6);
    expect(hits[2]!.score).toBeCloseTo(0, 6);
    // Filtered (candidate) scan gives the same scores as vec0's KNN.
    const filtered = v.knn(a, 'target', new Float32Array([1, 0, 0, 0]), 10, [3, 2]);
    expect(filtered.map((h) => h.id)).toEqual([2, 3]);
    expect(filtered[0]!.score).toBeCloseTo(hits[1]!.score, 6);
    // Above vec0's k limit (4096) both paths fall back to an exact scan with the same answer.
    expect(v.knn(a, 'target', new Float32Array([1, 0, 0, 0]), 5000, [3, 2]).map((h) => h.id)).toEqual([2, 3]);
    expect(v.knn(a, 'target', new Float32Array([1, 0, 0, 0]), 5000).map((h) => h.id)).toEqual([1, 2, 3]);
    expect(v.knn(a, 'target', new Float32Array([1, 0, 0, 0]), 5, [])).toEqual([]);
    expect(Array.from(v.get(a, 'target', 3)!)).toEqual([0, 0, 1, 0]);
    v.deletePhoto(1);
    expect(v.get(a, 'target', 1)).toBeUndefined();
    expect(v.get(b, 'target', 1)).toBeUndefined();
    db.close();
  });

  it('album membership disappears with its photo (foreign key cascade)', () => {
    const db = openDatabase(':memory:');
    const photos = new PhotoRepo(db);
    const albums = new AlbumRepo(db);
    const p1 = photos.insert({ path: '/x/1.jpg', folderId: null, hash: 'h1', size: 1, mtimeMs: 1 });
    const p2 = photos.insert({ path: '/x/2.jpg', folderId: null, hash: 'h2', size: 1, mtimeMs: 1 });
    const id = albums.insert({ name: 'a', query: { kind: 'text', text: 'x' }, rule: { kind: 'topN', n: 5 }, filters: {} });
    albums.setMembers(id, [{ id: p1, score: 0.9 }, { id: p2, score: 0.5 }]);
    expect(albums.cover(id)).toBe(p1);
    photos.delete(p1);
    expect(albums.allMembers(id)).toEqual([{ id: p2, score: 0.5 }]);
    db.close();
  });
});
