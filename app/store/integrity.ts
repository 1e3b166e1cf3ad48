// Is the library file a healthy SQLite database? Checked before and right after opening it, so a
// damaged file is reported (naming the file and what to do) instead of being taken for a new,
// empty library or failing later, query by query, with a raw SQLite error.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** What to tell the user: one line with the file and the two ways out. */
export function damageAdvice(file: string): string {
  return `Run \`magiclens doctor --repair\` (or "Repair library" in the app) to restore the last backup or rebuild the library; the damaged file is kept next to the backups. File: ${file}`;
}

export class LibraryDamagedError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`The library ${file} is damaged: ${reason}. ${damageAdvice(file)}`);
    this.name = 'LibraryDamagedError';
  }
}

/** Before opening: an existing file must be a non-empty SQLite database. A missing file is fine
 *  (a new library); an empty or foreign one is never silently replaced by a new library. */
export function checkLibraryFile(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new LibraryDamagedError(file, `it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw new LibraryDamagedError(file, 'it is not a regular file');
  if (st.size === 0) throw new LibraryDamagedError(file, 'the file is empty (0 bytes)');
  const head = Buffer.alloc(SQLITE_HEADER.length);
  try {
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new LibraryDamagedError(file, `it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!head.equals(SQLITE_HEADER)) throw new LibraryDamagedError(file, 'it is not an SQLite database (bad header)');
}

export interface IntegrityResult { ok: boolean; errors: string[]; ms: number; checkedAt: number }

/** PRAGMA quick_check (every page and record format; not index-content cross checks): measured at
 *  100k photos with 512-d vectors by bench/measure/quick-check.ts. SQLite errors count as damage. */
export function quickCheck(db: Database.Database, maxErrors = 20): IntegrityResult {
  const t0 = performance.now();
  let errors: string[];
  try {
    const rows = db.pragma(`quick_check(${maxErrors})`) as { quick_check: string }[];
    errors = rows.map((r) => r.quick_check).filter((s) => s !== 'ok');
  } catch (e) {
    errors = [(e as Error).message];
  }
  return { ok: errors.length === 0, errors, ms: performance.now() - t0, checkedAt: Date.now() };
}

/** SQLite's words for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) and sqlite-vec's for a bad blob. */
export function isDamageError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) return true;
  return /database disk image is malformed|file is not a database|blob read error|database corruption/i.test((err as Error)?.message ?? '');
}

/** quick_check on its own read-only connection in a worker thread: at 100k photos it takes longer
 *  than the 1 s an open may cost (bench/measure/quick-check.ts), so the open does not wait for it. */
export function quickCheckInBackground(file: string): Promise<IntegrityResult> {
  const t0 = performance.now();
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    let errors;
    try {
      const Database = require(workerData.driver);
      const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
      try { errors = db.pragma('quick_check(20)').map((r) => r.quick_check).filter((s) => s !== 'ok'); }
      finally { db.close(); }
    } catch (e) { errors = [String((e && e.message) || e)]; }
    parentPort.postMessage(errors);`;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return new Promise((resolve) => {
    const w = new Worker(code, { eval: true, workerData: { file, driver } });
    const done = (errors: string[]) => resolve({ ok: errors.length === 0, errors, ms: performance.now() - t0, checkedAt: Date.now() });
    w.once('message', (errors: string[]) => done(errors));
    w.once('error', (e) => done([`integrity check could not run: ${e.message}`]));
    w.unref();
  });
}
