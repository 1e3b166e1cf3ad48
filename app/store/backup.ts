// Backups of the library with SQLite's online backup API (a consistent copy while the app runs),
// kept in <dataDir>/backups (the newest two), and the repair paths: restore the newest backup that
// passes quick_check, or, when there is none, rebuild a fresh library from the rows that can still
// be read (folders, albums, settings, photos) with every photo pending again, so that the vectors
// are re-embedded. The damaged file is never deleted: it is moved to backups/damaged-*.db.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from './db.js';
import { quickCheck } from './integrity.js';

export const KEEP_BACKUPS = 2;
const DAY_MS = 24 * 3600 * 1000;

export const libraryFile = (dataDir: string) => path.join(dataDir, 'library.db');
export const backupsDir = (dataDir: string) => path.join(dataDir, 'backups');

export interface BackupInfo { file: string; at: number; bytes: number }

/** Backups, newest first (the timestamp is in the name: library-<ms>.db). */
export function listBackups(dataDir: string): BackupInfo[] {
  const dir = backupsDir(dataDir);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .map((f) => ({ f, m: /^library-(\d+)\.db$/.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .map(({ f, m }) => ({ file: path.join(dir, f), at: Number(m[1]), bytes: fs.statSync(path.join(dir, f)).size }))
    .sort((a, b) => b.at - a.at);
}

/** Copies the open library to backups/ (via a temporary name, then a rename, so a half-written
 *  backup never counts), checks the copy, then drops all but the newest KEEP_BACKUPS. */
export async function backupLibrary(db: Db, dataDir: string, now = Date.now()): Promise<BackupInfo> {
  const dir = backupsDir(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const at = Math.max(now, (listBackups(dataDir)[0]?.at ?? 0) + 1);
  const tmp = path.join(dir, `.library-${at}.db.tmp`);
  const file = path.join(dir, `library-${at}.db`);
  try {
    await db.backup(tmp);
    const copy = new Database(tmp, { readonly: true });
    try {
      const r = quickCheck(copy);
      if (!r.ok) throw new Error(`the backup copy fails its check: ${r.errors[0]}`);
    } finally {
      copy.close();
    }
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  for (const old of listBackups(dataDir).slice(KEEP_BACKUPS)) fs.rmSync(old.file, { force: true });
  return { file, at, bytes: fs.statSync(file).size };
}

export function backupDue(dataDir: string, now = Date.now()): boolean {
  const last = listBackups(dataDir)[0];
  return !last || now - last.at >= DAY_MS;
}

/** The newest backup that opens and passes quick_check. */
export function latestGoodBackup(dataDir: string): BackupInfo | null {
  for (const b of listBackups(dataDir)) {
    try {
      const db = new Database(b.file, { readonly: true, fileMustExist: true });
      try {
        if (quickCheck(db).ok) return b;
      } finally {
        db.close();
      }
    } catch {
      // unreadable backup: try the older one
    }
  }
  return null;
}

/** Moves the library file (and its -wal/-shm) aside into backups/damaged-<ms>.db*. */
function moveAside(dataDir: string): string | null {
  const file = libraryFile(dataDir);
  if (!fs.existsSync(file)) return null;
  fs.mkdirSync(backupsDir(dataDir), { recursive: true });
  const dest = path.join(backupsDir(dataDir), `damaged-${Date.now()}.db`);
  for (const ext of ['', '-wal', '-shm']) if (fs.existsSync(file + ext)) fs.renameSync(file + ext, dest + ext);
  return dest;
}

export type RepairOutcome = { action: 'restored'; backupAt: number; damagedCopy: string | null } | { action: 'rebuilt'; photos: number; damagedCopy: string | null };

/** With the library CLOSED: put the newest good backup in place, or rebuild from what is readable. */
export function repairClosedLibrary(dataDir: string, opts: { rebuild?: boolean } = {}): RepairOutcome {
  const good = opts.rebuild ? null : latestGoodBackup(dataDir);
  if (good) {
    const tmp = path.join(dataDir, `.restoring-${Date.now()}.db`);
    fs.copyFileSync(good.file, tmp);
    const damagedCopy = moveAside(dataDir);
    fs.renameSync(tmp, libraryFile(dataDir));
    return { action: 'restored', backupAt: good.at, damagedCopy };
  }
  return rebuildFromReadable(dataDir);
}

/** in dependency order: album members point at photos */
const KEPT_TABLES = ['folders', 'settings', 'albums', 'photos', 'album_photos'] as const;

/** A fresh library (current schema) holding every row of the kept tables and of photos that can be
 *  read; photos go back to pending and the vector tables start empty (re-embedded by indexing). */
function rebuildFromReadable(dataDir: string): RepairOutcome {
  const tmp = path.join(dataDir, `.rebuilding-${Date.now()}.db`);
  const fresh = openDatabase(tmp);
  let photos = 0;
  try {
    const src = libraryFile(dataDir);
    if (fs.existsSync(src) && fs.statSync(src).size > 0) photos = copyReadableRows(fresh, src);
    fresh.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    fresh.close();
  }
  const damagedCopy = moveAside(dataDir);
  fs.renameSync(tmp, libraryFile(dataDir));
  for (const ext of ['-wal', '-shm']) fs.rmSync(tmp + ext, { force: true });
  return { action: 'rebuilt', photos, damagedCopy };
}

function copyReadableRows(fresh: Db, src: string): number {
  fresh.exec(`ATTACH DATABASE ${quote(src)} AS old`);
  let photos = 0;
  try {
    fresh.pragma('foreign_keys = OFF');
    for (const t of KEPT_TABLES) {
      const has = fresh.prepare(`SELECT 1 FROM old.sqlite_master WHERE type = 'table' AND name = ?`).get(t);
      if (!has) continue;
      const cols = (fresh.prepare(`PRAGMA main.table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
      const oldCols = new Set((fresh.prepare(`PRAGMA old.table_info(${t})`).all() as { name: string }[]).map((c) => c.name));
      const common = cols.filter((c) => oldCols.has(c)).map((c) => `"${c}"`).join(', ');
      const select = t === 'photos' ? common.replace('"status"', `'pending'`) : common;
      try {
        const n = fresh.prepare(`INSERT OR IGNORE INTO main.${t} (${common}) SELECT ${select} FROM old.${t}`).run().changes;
        if (t === 'photos') photos = n;
      } catch {
        // a table whose pages are damaged: what it held is lost (the README says which)
      }
    }
  } finally {
    fresh.pragma('foreign_keys = ON');
    fresh.exec('DETACH DATABASE old');
  }
  return photos;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
