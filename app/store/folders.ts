import { stmt, type Db } from './db.js';

export interface FolderRow {
  id: number;
  path: string;
  exclude_json: string;
  added_at: number;
}

export class FolderRepo {
  constructor(private readonly db: Db) {}

  all(): FolderRow[] {
    return stmt(this.db, 'SELECT * FROM folders ORDER BY path').all() as FolderRow[];
  }
  get(id: number): FolderRow | undefined {
    return stmt(this.db, 'SELECT * FROM folders WHERE id = ?').get(id) as FolderRow | undefined;
  }
  byPath(p: string): FolderRow | undefined {
    return stmt(this.db, 'SELECT * FROM folders WHERE path = ?').get(p) as FolderRow | undefined;
  }
  insert(p: string, exclude: string[]): number {
    return Number(stmt(this.db, 'INSERT INTO folders (path, exclude_json, added_at) VALUES (?, ?, ?)').run(p, JSON.stringify(exclude), Date.now()).lastInsertRowid);
  }
  setExclude(id: number, exclude: string[]): void {
    stmt(this.db, 'UPDATE folders SET exclude_json = ? WHERE id = ?').run(JSON.stringify(exclude), id);
  }
  delete(id: number): void {
    stmt(this.db, 'DELETE FROM folders WHERE id = ?').run(id);
  }
  counts(id: number): { photos: number; errors: number } {
    const r = stmt(this.db, `SELECT count(*) AS n, sum(status = 'error') AS e FROM photos WHERE folder_id = ?`).get(id) as { n: number; e: number | null };
    return { photos: r.n, errors: r.e ?? 0 };
  }
}

export function excludeOf(r: FolderRow): string[] {
  try {
    const v = JSON.parse(r.exclude_json) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
