// library.*: the library file's health (integrity check in the background after open), automatic
// backups (after indexing runs, at least daily) and the repair action. While the library is known
// to be damaged, searches answer a clear "library damaged, run repair" instead of a raw SQLite error.
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { ApiError, type Handlers, type Result, type Status } from '../../api/contract.js';
import { backupDue, backupLibrary, latestGoodBackup, libraryFile, listBackups } from '../../store/backup.js';
import type { Db } from '../../store/db.js';
import { damageAdvice, isDamageError, quickCheck, quickCheckInBackground, type IntegrityResult } from '../../store/integrity.js';
import type { HandlerSlice } from './slice.js';

type Health = NonNullable<Status['library']>;

export interface LibraryHealthDeps {
  dataDir: string;
  db: Db;
  /** stop indexing before the file changes under it */
  stopIndexing: () => Promise<void>;
  /** after a repair: re-mark what the active model lacks, rescan folders, restart indexing */
  afterRepair: () => void;
}

export class LibraryHealth {
  private result: IntegrityResult | null = null;
  private backingUp: Promise<unknown> | null = null;
  private repairing = false;

  constructor(private readonly d: LibraryHealthDeps) {}

  /** Starts the background quick_check (the open itself only checked the header and schema). */
  check(): Promise<IntegrityResult> {
    // damage already met at open (noteDamage) stands even if quick_check passes over it
    return quickCheckInBackground(libraryFile(this.d.dataDir)).then((r) => (this.result = this.damaged && r.ok ? this.result! : r));
  }

  /** Damage met while the service opened (a read that failed): the service starts anyway, damaged. */
  noteDamage(err: Error): void {
    this.result = { ok: false, errors: [err.message], ms: 0, checkedAt: Date.now() };
  }

  get damaged(): boolean {
    return this.result !== null && !this.result.ok;
  }

  health(): Health {
    const r = this.result;
    return { state: r === null ? 'checking' : r.ok ? 'ok' : 'damaged', errors: r?.errors ?? [], checkedAt: r?.checkedAt ?? null, lastBackupAt: listBackups(this.d.dataDir)[0]?.at ?? null };
  }

  private damagedError(): ApiError {
    return new ApiError('unavailable', `library damaged, run repair: ${damageAdvice(libraryFile(this.d.dataDir))}`, { damaged: true, errors: this.result?.errors ?? [] });
  }

  /** Runs a query; a damaged library (known, or found by this query) becomes the clear error. */
  async guard<T>(f: () => Promise<T>): Promise<T> {
    if (this.damaged) throw this.damagedError();
    try {
      return await f();
    } catch (err) {
      if (!isDamageError(err) && !isDamageError({ message: (err as Error)?.message })) throw err;
      this.result = { ok: false, errors: [(err as Error).message], ms: 0, checkedAt: Date.now() };
      throw this.damagedError();
    }
  }

  /** A backup after an indexing run (force) or when the last one is a day old; never of a damaged
   *  library (it would push a good backup out), never two at once. */
  async maybeBackup(force: boolean): Promise<void> {
    if (this.backingUp || this.repairing || this.result?.ok !== true) return;
    if (!force && !backupDue(this.d.dataDir)) return;
    this.backingUp = backupLibrary(this.d.db, this.d.dataDir).catch(() => {});
    try {
      await this.backingUp;
    } finally {
      this.backingUp = null;
    }
  }

  async repair(mode: 'auto' | 'restore' | 'rebuild'): Promise<Result<'library.repair'>> {
    if (this.repairing) throw new ApiError('conflict', 'a repair is already running');
    this.repairing = true;
    try {
      await this.backingUp;
      await this.d.stopIndexing();
      const good = mode === 'rebuild' ? null : latestGoodBackup(this.d.dataDir);
      if (mode === 'restore' && !good) throw new ApiError('not_found', 'no backup passes its check; repair with mode "rebuild" to re-embed every photo');
      // through a second connection: the live one (and the search's in-memory mirror, which
      // watches data_version) then sees another connection's commit and reloads
      if (good) await restoreInto(good.file, libraryFile(this.d.dataDir));
      else rebuildVectors(libraryFile(this.d.dataDir));
      this.result = quickCheck(this.d.db);
      const pending = (this.d.db.prepare(`SELECT COUNT(*) AS n FROM photos WHERE status = 'pending'`).get() as { n: number }).n;
      if (!this.result.ok) throw new ApiError('unavailable', `the library is still damaged after the repair (${this.result.errors[0]}); close the app and run \`magiclens doctor --repair\``);
      return {
        action: good ? 'restored' : 'rebuilt', backupAt: good?.at ?? null, pending, state: 'ok',
        message: good ? `restored the backup of ${new Date(good.at).toISOString()}; photos added since are scanned again` : `vector tables rebuilt; ${pending} photos will be re-embedded`,
      };
    } finally {
      this.repairing = false;
      this.d.afterRepair();
    }
  }
}

async function restoreInto(backupFile: string, live: string): Promise<void> {
  const src = new Database(backupFile, { readonly: true, fileMustExist: true });
  try {
    await src.backup(live);
  } finally {
    src.close();
  }
}

/** Empties every model's vector tables and sends indexed photos back to pending; folders, albums,
 *  settings and photo rows stay. */
function rebuildVectors(live: string): void {
  const db = new Database(live, { fileMustExist: true });
  try {
    sqliteVec.load(db);
    const models = db.prepare('SELECT key, dim FROM models').all() as { key: number; dim: number }[];
    db.transaction(() => {
      for (const { key, dim } of models) {
        for (const kind of ['clip', 'target']) {
          db.exec(`DROP TABLE IF EXISTS vec_${kind}_${key}`);
          db.exec(`CREATE VIRTUAL TABLE vec_${kind}_${key} USING vec0(embedding float[${dim}] distance_metric=cosine)`);
        }
      }
      db.prepare(`UPDATE photos SET status = 'pending', error = NULL WHERE status = 'indexed'`).run();
    })();
  } catch (e) {
    throw new ApiError('unavailable', `the vector tables cannot be rebuilt in place (${(e as Error).message}); close the app and run \`magiclens doctor --repair\``);
  } finally {
    db.close();
  }
}

export function libraryHandlers(health: LibraryHealth): HandlerSlice<'library'> {
  return { 'library.repair': async ({ mode }) => health.repair(mode) };
}

/** Search answers go through the health guard; status carries the health. */
export function guardHandlers(h: Handlers, health: LibraryHealth): Handlers {
  const out = { ...h };
  for (const m of ['search.compose', 'search.text', 'search.similar', 'search.sketch'] as const) {
    const inner = h[m] as (p: unknown) => Promise<unknown>;
    (out as Record<string, unknown>)[m] = (p: unknown) => health.guard(() => inner(p));
  }
  out['status.get'] = async (p) => ({ ...(await h['status.get'](p)), library: health.health() });
  return out;
}
