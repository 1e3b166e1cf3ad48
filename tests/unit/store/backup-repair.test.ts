// Backup → damage → repair round trips on real SQLite files: a zeroed file, a file whose pages are
// overwritten, a foreign file. Nothing the backup held is lost (rows and every vector compared).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupLibrary, KEEP_BACKUPS, libraryFile, listBackups, repairClosedLibrary } from '../../../app/store/backup.js';
import { openDatabase, type Db } from '../../../app/store/db.js';
import { LibraryDamagedError, quickCheck, quickCheckInBackground } from '../../../app/store/integrity.js';
import { VectorStore } from '../../../app/store/vectors.js';
import { tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-backup-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const N = 1500;

function fill(db: Db): void {
  const vectors = new VectorStore(db);
  const key = vectors.ensureModel('test-model', 64);
  db.prepare(`INSERT INTO folders (id, path, exclude_json, added_at) VALUES (1, '/photos', '["*.tmp"]', 1)`).run();
  db.prepare(`INSERT INTO settings (key, value) VALUES ('theme', '"dark"')`).run();
  db.prepare(`INSERT INTO albums (id, name, query_json, rule_json, created_at, updated_at) VALUES (1, 'Dogs', '{}', '{}', 1, 1)`).run();
  const ins = db.prepare(`INSERT INTO photos (id, path, folder_id, hash, size, status, added_at, updated_at) VALUES (?, ?, 1, ?, 10, 'indexed', 1, 1)`);
  const v = new Float32Array(64);
  db.transaction(() => {
    for (let i = 1; i <= N; i++) {
      ins.run(i, `/photos/p${i}.jpg`, `h${i}`);
      for (let j = 0; j < 64; j++) v[j] = Math.sin(i * 0.7 + j);
      vectors.put(key, 'clip', i, v);
      vectors.put(key, 'target', i, v);
      if (i % 10 === 0) db.prepare('INSERT INTO album_photos (album_id, photo_id, score) VALUES (1, ?, 0.5)').run(i);
    }
  })();
}

function snapshot(db: Db): string {
  const vectors = new VectorStore(db);
  const key = vectors.modelKey('test-model')!;
  const rows = ['folders', 'settings', 'albums', 'photos', 'album_photos'].map((t) => JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
  let vecs = 0;
  for (let i = 1; i <= N; i++) for (const k of ['clip', 'target'] as const) vecs += vectors.get(key, k, i)!.reduce((s, x, j) => s + x * (j + 1), 0);
  return rows.join('\n') + `\n${vecs}`;
}

function libraryWithBackup(name: string): { dataDir: string; before: string } {
  const dataDir = path.join(root, name);
  const db = openDatabase(libraryFile(dataDir));
  fill(db);
  const before = snapshot(db);
  return { dataDir, before, ...{ db } } as { dataDir: string; before: string; db: Db };
}

describe('library backup and repair', () => {
  it('keeps the newest two backups, each a checked copy', async () => {
    const { dataDir, db } = libraryWithBackup('rotate') as ReturnType<typeof libraryWithBackup> & { db: Db };
    for (let i = 0; i < 3; i++) await backupLibrary(db, dataDir, 1000 + i);
    db.close();
    const kept = listBackups(dataDir);
    expect(kept.map((b) => b.at)).toEqual([1002, 1001]);
    expect(kept.length).toBe(KEEP_BACKUPS);
  });

  it('a zeroed library file is refused by name (not taken as a new library); repair restores everything', async () => {
    const { dataDir, before, db } = libraryWithBackup('zeroed') as ReturnType<typeof libraryWithBackup> & { db: Db };
    await backupLibrary(db, dataDir);
    db.close();
    fs.writeFileSync(libraryFile(dataDir), '');
    expect(() => openDatabase(libraryFile(dataDir))).toThrow(LibraryDamagedError);
    expect(() => openDatabase(libraryFile(dataDir))).toThrow(new RegExp(`${libraryFile(dataDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged: the file is empty.*doctor --repair`));
    expect(fs.statSync(libraryFile(dataDir)).size).toBe(0); // left as it was
    expect(repairClosedLibrary(dataDir)).toMatchObject({ action: 'restored' });
    const again = openDatabase(libraryFile(dataDir));
    expect(snapshot(again)).toBe(before);
    again.close();
  });

  it('eight damaged pages are caught by quick_check (also in the background) and repair restores the backup', async () => {
    const { dataDir, before, db } = libraryWithBackup('pages') as ReturnType<typeof libraryWithBackup> & { db: Db };
    await backupLibrary(db, dataDir);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const file = libraryFile(dataDir);
    const buf = fs.readFileSync(file);
    const page = 4096;
    const pages = Math.floor(buf.length / page);
    for (let k = 0; k < 8; k++) {
      const p = Math.floor((pages * (k + 2)) / 11);
      buf.fill(0xa5, p * page, p * page + page);
    }
    fs.writeFileSync(file, buf);
    let found: string[];
    try {
      const broken = openDatabase(file);
      found = quickCheck(broken).errors;
      broken.close();
    } catch (e) {
      found = [(e as Error).message];
    }
    expect(found.length).toBeGreaterThan(0);
    const bg = await quickCheckInBackground(file);
    expect(bg.ok).toBe(false);
    expect(repairClosedLibrary(dataDir)).toMatchObject({ action: 'restored' });
    const again = openDatabase(file);
    expect(quickCheck(again).ok).toBe(true);
    expect(snapshot(again)).toBe(before);
    again.close();
    expect(fs.readdirSync(path.join(dataDir, 'backups')).some((f) => f.startsWith('damaged-'))).toBe(true);
  });

  it('without a backup a damaged library is rebuilt from its readable rows, every photo pending for re-embedding', async () => {
    const dataDir = path.join(root, 'nobackup');
    const db = openDatabase(libraryFile(dataDir));
    fill(db);
    db.close();
    fs.writeFileSync(path.join(root, 'foreign.db'), 'hello, I am not a database at all, not even close');
    expect(() => openDatabase(path.join(root, 'foreign.db'))).toThrow(/not an SQLite database/);
    const r = repairClosedLibrary(dataDir, { rebuild: true });
    expect(r).toMatchObject({ action: 'rebuilt', photos: N });
    const again = openDatabase(libraryFile(dataDir));
    expect(again.prepare(`SELECT COUNT(*) AS n FROM photos WHERE status = 'pending'`).get()).toEqual({ n: N });
    expect(again.prepare('SELECT name FROM albums').all()).toEqual([{ name: 'Dogs' }]);
    expect(again.prepare('SELECT COUNT(*) AS n FROM album_photos').get()).toEqual({ n: N / 10 });
    expect(again.prepare('SELECT path, exclude_json FROM folders').all()).toEqual([{ path: '/photos', exclude_json: '["*.tmp"]' }]);
    again.close();
  });
});
