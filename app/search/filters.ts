// Search filters → the candidate photo ids (indexed photos only). Dates filter on the EXIF date,
// falling back to the file's mtime for photos without one (the same order the grid uses).
import type { SearchFilters } from '../api/contract.js';
import { stmt, type Db } from '../store/db.js';

export function hasFilters(f: SearchFilters | undefined): boolean {
  return !!f && (f.folderIds !== undefined || f.takenAfter !== undefined || f.takenBefore !== undefined || f.formats !== undefined);
}

export function candidateIds(db: Db, f: SearchFilters): number[] {
  const where: string[] = [`status = 'indexed'`];
  const args: unknown[] = [];
  if (f.folderIds) {
    where.push('folder_id IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(f.folderIds));
  }
  if (f.takenAfter !== undefined) {
    where.push('coalesce(taken_at, mtime_ms) >= ?');
    args.push(f.takenAfter);
  }
  if (f.takenBefore !== undefined) {
    where.push('coalesce(taken_at, mtime_ms) <= ?');
    args.push(f.takenBefore);
  }
  if (f.formats) {
    where.push('format IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(f.formats.map(normaliseFormat)));
  }
  return stmt(db, `SELECT id FROM photos WHERE ${where.join(' AND ')}`).pluck().all(...args) as number[];
}

/** "jpg" and "JPEG" mean jpeg; "heif" means heic (how formats are stored). */
export function normaliseFormat(f: string): string {
  const s = f.toLowerCase().replace(/^\./, '');
  if (s === 'jpg' || s === 'jpe') return 'jpeg';
  if (s === 'tif') return 'tiff';
  if (s === 'heif') return 'heic';
  return s;
}

/** Whether one photo row passes the filters (incremental album scoring). */
export function rowMatches(r: { folder_id: number | null; taken_at: number | null; mtime_ms: number; format: string | null }, f: SearchFilters): boolean {
  if (f.folderIds && (r.folder_id === null || !f.folderIds.includes(r.folder_id))) return false;
  const t = r.taken_at ?? r.mtime_ms;
  if (f.takenAfter !== undefined && t < f.takenAfter) return false;
  if (f.takenBefore !== undefined && t > f.takenBefore) return false;
  if (f.formats && !f.formats.map(normaliseFormat).includes(r.format ?? '')) return false;
  return true;
}
