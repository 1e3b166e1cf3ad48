// Numbered schema migrations, kept in code so a packaged app carries them. `PRAGMA user_version`
// records the last one applied; each runs in its own transaction, so a crash mid-migration leaves
// the previous version intact. Never edit a released migration: append a new one.
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'folders, photos (one row per file path; content hash identity), settings',
    up(db) {
      db.exec(`
        CREATE TABLE folders (
          id INTEGER PRIMARY KEY,
          path TEXT NOT NULL UNIQUE,
          exclude_json TEXT NOT NULL DEFAULT '[]',
          added_at REAL NOT NULL
        );
        CREATE TABLE photos (
          id INTEGER PRIMARY KEY,
          path TEXT NOT NULL UNIQUE,
          folder_id INTEGER REFERENCES folders(id) ON DELETE SET NULL,
          hash TEXT NOT NULL DEFAULT '',
          size INTEGER NOT NULL DEFAULT 0,
          mtime_ms REAL NOT NULL DEFAULT 0,
          width INTEGER, height INTEGER, taken_at REAL, camera TEXT, format TEXT, orientation INTEGER,
          status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'indexed', 'error')),
          error TEXT,
          added_at REAL NOT NULL,
          updated_at REAL NOT NULL
        );
        CREATE INDEX photos_folder ON photos(folder_id);
        CREATE INDEX photos_status ON photos(status);
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
    },
  },
  {
    version: 2,
    name: 'embedding spaces (one vec0 table per model and kind), smart albums with scored membership',
    up(db) {
      db.exec(`
        -- vec0 tables are named vec_<kind>_<key>: the integer key keeps arbitrary model ids out of SQL.
        CREATE TABLE models (
          key INTEGER PRIMARY KEY,
          id TEXT NOT NULL UNIQUE,
          dim INTEGER NOT NULL,
          created_at REAL NOT NULL
        );
        CREATE TABLE albums (
          id INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          query_json TEXT NOT NULL,
          rule_json TEXT NOT NULL,
          filters_json TEXT NOT NULL DEFAULT '{}',
          model_id TEXT,
          query_vec BLOB,
          created_at REAL NOT NULL,
          updated_at REAL NOT NULL
        );
        CREATE TABLE album_photos (
          album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
          photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
          score REAL NOT NULL,
          PRIMARY KEY (album_id, photo_id)
        ) WITHOUT ROWID;
        CREATE INDEX album_photos_score ON album_photos(album_id, score DESC);
        CREATE INDEX album_photos_photo ON album_photos(photo_id);
      `);
    },
  },
  {
    version: 3,
    name: 'hash and date indexes (move detection, duplicate reuse, date sort)',
    up(db) {
      db.exec(`
        CREATE INDEX photos_hash ON photos(hash);
        CREATE INDEX photos_taken ON photos(taken_at);
      `);
    },
  },
  {
    version: 4,
    name: 'manual albums (kind), favourites flag, capture-time index (timeline, date sorts)',
    up(db) {
      // Manual albums reuse album_photos: their "score" is the time a photo was added, so the
      // album reads newest-added first with the same indexed query as a smart album.
      // The capture-time expression index serves the date sorts and the timeline's day buckets.
      db.exec(`
        ALTER TABLE albums ADD COLUMN kind TEXT NOT NULL DEFAULT 'smart' CHECK (kind IN ('smart', 'manual'));
        ALTER TABLE photos ADD COLUMN favourite INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX photos_favourite ON photos(favourite) WHERE favourite = 1;
        CREATE INDEX photos_when ON photos(coalesce(taken_at, mtime_ms), id);
      `);
    },
  },
];

export const LATEST_VERSION = migrations[migrations.length - 1]!.version;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration above the current version (up to `to`); returns the versions applied. */
export function migrate(db: Database.Database, to: number = LATEST_VERSION): number[] {
  const current = schemaVersion(db);
  if (current > LATEST_VERSION) {
    throw new Error(`library database is schema version ${current}, newer than this app (${LATEST_VERSION}); update MagicLens`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= current || m.version > to) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
