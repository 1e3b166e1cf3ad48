// Damages a SQLite library file as a bad disk would: every page (b-tree and overflow) of the tables whose
// name matches a LIKE pattern is overwritten with junk. The WAL is folded in first, so the pages are the
// live ones.
import fs from 'node:fs';
import Database from 'better-sqlite3';

/** Returns how many pages were overwritten. `like` uses '\' as its escape character. */
export function damageTables(file: string, like: string): number {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pages = (db.prepare(`SELECT pageno FROM dbstat WHERE name LIKE ? ESCAPE '\\'`).all(like) as { pageno: number }[]).map((r) => r.pageno);
  const size = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = fs.openSync(file, 'r+');
  for (const p of pages) fs.writeSync(fd, Buffer.alloc(size, 0xa5), 0, size, (p - 1) * size);
  fs.closeSync(fd);
  return pages.length;
}
