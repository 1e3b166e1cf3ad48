import { stmt, type Db } from './db.js';

/** JSON values by key; unknown keys are the caller's business (the service validates with zod). */
export class SettingsRepo {
  constructor(private readonly db: Db) {}
  get<T>(key: string): T | undefined {
    const r = stmt(this.db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    if (!r) return undefined;
    try {
      return JSON.parse(r.value) as T;
    } catch {
      return undefined;
    }
  }
  set(key: string, value: unknown): void {
    stmt(this.db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }
}
