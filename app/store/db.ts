// Opens the library database: better-sqlite3 in WAL mode (readers never block the indexer's
// writes; a crash loses at most the open transaction) with sqlite-vec loaded for vec0 tables.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { checkLibraryFile, isDamageError, LibraryDamagedError } from './integrity.js';
import { migrate } from './migrations.js';

export type Db = Database.Database;

/** Opens (or creates) the library. An existing file that is empty, unreadable or not SQLite, or
 *  whose header or schema pages are damaged, throws LibraryDamagedError and is left untouched. */
export function openDatabase(file: string, opts: { migrateTo?: number } = {}): Db {
  if (file === ':memory:') return configure(new Database(file), opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  checkLibraryFile(file);
  let db: Db | undefined;
  try {
    db = new Database(file);
    return configure(db, opts);
  } catch (e) {
    db?.close();
    if (isDamageError(e)) throw new LibraryDamagedError(file, (e as Error).message);
    throw e;
  }
}

function configure(db: Db, opts: { migrateTo?: number }): Db {
  db.pragma('journal_mode = WAL');
  // NORMAL is durable across process crashes in WAL mode (only an OS crash can drop the last commit).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  sqliteVec.load(db);
  migrate(db, opts.migrateTo);
  return db;
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per connection (preparing costs more than running a lookup). */
export function stmt(db: Db, sql: string): Database.Statement {
  let m = statementCache.get(db);
  if (!m) statementCache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}
