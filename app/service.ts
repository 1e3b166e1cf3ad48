// The service: wires store, library, indexer, search and albums into the API's Handlers.
// Runs in a plain Node process (CLI, HTTP bridge) or Electron's utility process; no Electron here.
// Each concern lives in its own module under service/ and takes what it needs explicitly; this
// file only builds them in order and hands each its dependencies.
import fs from 'node:fs';
import path from 'node:path';
import type { EventEnvelope, Handlers, IndexProgress, Status } from './api/contract.js';
import { BUNDLED_PACKS_DIR } from './paths.js';
import { openDatabase, type Db } from './store/db.js';
import { AlbumRepo } from './store/albums.js';
import { FolderRepo } from './store/folders.js';
import { PhotoRepo } from './store/photos.js';
import { SettingsRepo } from './store/settings.js';
import { isDamageError } from './store/integrity.js';
import { VectorStore } from './store/vectors.js';
import type { Indexer } from './index/indexer.js';
import type { Library } from './library/library.js';
import { SearchEngine, type ModelLane } from './search/search.js';
import { AlbumEngine } from './search/albums.js';
import { ModelRegistry } from './model/registry.js';
import { EventBus } from './service/events.js';
import { imageFile } from './service/image-files.js';
import { ModelLanes, type BulkLane } from './service/lanes.js';
import { markStaleForActive, ModelManager } from './service/models.js';
import { createIndexer, createLibrary, type Stores } from './service/pipeline.js';
import { ScanScheduler } from './service/scans.js';
import { readSettings } from './service/settings-store.js';
import { albumHandlers } from './service/handlers/albums.js';
import { folderHandlers } from './service/handlers/folders.js';
import { sampleHandlers } from './service/handlers/samples.js';
import { indexHandlers } from './service/handlers/index.js';
import { modelHandlers } from './service/handlers/models.js';
import { photoHandlers } from './service/handlers/photos.js';
import { searchHandlers } from './service/handlers/search.js';
import { RecentSearches } from './service/handlers/recent-searches.js';
import { settingsHandlers } from './service/handlers/settings.js';
import { statusHandlers } from './service/handlers/status.js';
import { guardHandlers, LibraryHealth, libraryHandlers } from './service/handlers/library.js';

export type { BulkLane };

export interface ServiceOptions {
  dataDir: string;
  bundledPacksDir?: string;
  threads?: number;
  watch?: boolean /* chokidar on (default true) */;
  modelId?: string;
  /** Engine tuning (tests): image batch size, watcher stability and rename grace periods,
   *  how long an idle bulk lane keeps its model loaded. */
  batchSize?: number;
  bulkIdleMs?: number;
  stabilityMs?: number;
  graceMs?: number;
}

export interface Service {
  handlers: Handlers;
  onEvent(listener: (e: EventEnvelope) => void): () => void;
  imageFile(photoId: number, kind: 'thumb' | 'full'): Promise<{ path: string; contentType: string }>;
  close(): Promise<void>;
}

export interface EngineService extends Service {
  readonly dataDir: string;
  readonly db: Db;
  /** Rescan folders (all when omitted) and start indexing what is pending. */
  scan(folderIds?: number[]): Promise<number>;
  /** Resolves when no folder scan is running or queued. */
  scansIdle(): Promise<void>;
  /** Resolves when no scan, watcher batch or indexing is in flight (and nothing is pending). */
  whenIdle(): Promise<void>;
  /** The interactive lane (main-thread ORT sessions for queries); tests check vectors with it. */
  lane(kind: 'interactive'): Promise<ModelLane | null>;
  /** The bulk lane (image tower + fusion head in a worker thread); benchmarks wrap its embed(). */
  bulkLane(): Promise<BulkLane | null>;
  /** The library file's health once the background integrity check after open has finished. */
  libraryHealth(): Promise<NonNullable<Status['library']>>;
}

interface Engine {
  dataDir: string;
  stores: Stores & { settingsRepo: SettingsRepo };
  events: EventBus;
  lanes: ModelLanes;
  indexer: Indexer;
  library: Library;
  scans: ScanScheduler;
  models: ModelManager;
  health: LibraryHealth;
  handlers: Handlers;
}

function openStores(dataDir: string): Engine['stores'] {
  const db = openDatabase(path.join(dataDir, 'library.db'));
  return { db, photos: new PhotoRepo(db), folders: new FolderRepo(db), vectors: new VectorStore(db), albumRepo: new AlbumRepo(db), settingsRepo: new SettingsRepo(db) };
}

function buildHandlers(e: Omit<Engine, 'handlers'>, search: SearchEngine, albums: AlbumEngine, threads?: number): Handlers {
  const { dataDir, stores, lanes, indexer, library, scans, models } = e;
  const { photos, folders } = stores;
  const settings = () => readSettings(stores.settingsRepo, threads);
  const handlers: Handlers = {
    ...statusHandlers({ dataDir, photos, folders, albums: stores.albumRepo, indexer, models, lanes }),
    ...folderHandlers({ folders, library, indexer, scans }),
    ...photoHandlers({ photos }),
    ...searchHandlers({ search, settings, recent: new RecentSearches(stores.settingsRepo, photos) }),
    ...albumHandlers({ albums, photos }),
    ...indexHandlers({ indexer }),
    ...modelHandlers({ models }),
    ...settingsHandlers({ repo: stores.settingsRepo, threads, models }),
    ...libraryHandlers(e.health),
    ...sampleHandlers({ dataDir, folders, photos, library, scans }),
  };
  return guardHandlers(handlers, e.health);
}

function openEngine(opts: ServiceOptions, dataDir: string): Engine {
  const stores = openStores(dataDir);
  const { db, photos, vectors } = stores;
  const registry = new ModelRegistry(dataDir, opts.bundledPacksDir ?? BUNDLED_PACKS_DIR);
  const events = new EventBus();
  const emit = events.emit;
  const settings = () => readSettings(stores.settingsRepo, opts.threads);
  // photoPaths: the int8 self-check runs on the user's own photos (app/index/precision.ts)
  const photoPaths = (n: number) => photos.list({ offset: 0, limit: n, sort: 'name', hideErrors: true }).items.map((p) => p.path);
  const lanes = new ModelLanes({ registry, vectors, settings, threads: opts.threads, bulkIdleMs: opts.bulkIdleMs, photoPaths }, opts.modelId ?? registry.active());
  // A damaged vector table must not keep the service from starting: it opens damaged, and repair is offered.
  const openDamage = damageOf(() => markStaleForActive({ db, registry, vectors }, lanes.activeId));

  const search = new SearchEngine(db, photos, vectors, () => lanes.interactive());
  const albums = new AlbumEngine(stores.albumRepo, photos, search, (id, count) => emit('albums.changed', { id, count }));
  const indexer = createIndexer({ stores, dataDir, lanes, albums, emit, batchSize: opts.batchSize });
  const watch = opts.watch ?? true;
  const library = createLibrary({ stores, dataDir, indexer, albums, emit, watch, stabilityMs: opts.stabilityMs, graceMs: opts.graceMs });
  const scans = new ScanScheduler({ library, indexer });
  const models = new ModelManager({ dataDir, db, registry, vectors, lanes, indexer, emit, albums, settings, threads: opts.threads });
  const health = new LibraryHealth({ dataDir, db, stopIndexing: () => indexer.stop(), afterRepair: () => {
    markStaleForActive({ db, registry, vectors }, lanes.activeId);
    indexer.restart();
    scans.background();
  } });
  if (openDamage) health.noteDamage(openDamage);
  const engine = { dataDir, stores, events, lanes, indexer, library, scans, models, health };
  return { ...engine, handlers: buildHandlers(engine, search, albums, opts.threads) };
}

/** Runs f; a damaged-database error is returned instead of thrown (any other error is thrown). */
function damageOf(f: () => void): Error | null {
  try {
    f();
    return null;
  } catch (err) {
    if (!isDamageError(err)) throw err;
    return err as Error;
  }
}

/** A lane that cannot open (no model, a broken pack) reads as null for the CLI and tests. */
const orNull = <T>(p: Promise<T>): Promise<T | null> => p.catch(() => null);

function engineService(e: Engine): EngineService {
  const { stores, lanes, scans } = e;
  let closed = false;
  // backups: after an indexing run ends, and at least daily (checked hourly)
  let lastState = 'idle';
  e.events.on((env) => {
    if (env.event !== 'index.progress') return;
    const state = (env.data as IndexProgress).state;
    if (state === 'idle' && lastState === 'indexing' && !closed) void e.health.maybeBackup(true);
    lastState = state;
  });
  const backupTimer = setInterval(() => void e.health.maybeBackup(false), 3600_000).unref();
  const checked = e.health.check().then(() => (closed ? undefined : e.health.maybeBackup(false)));
  return {
    dataDir: e.dataDir,
    db: stores.db,
    handlers: e.handlers,
    onEvent: (l) => e.events.on(l),
    imageFile: (photoId, kind) => imageFile({ dataDir: e.dataDir, photos: stores.photos, folders: stores.folders }, photoId, kind),
    scan: (ids) => scans.scan(ids),
    scansIdle: () => scans.scansIdle(),
    whenIdle: () => scans.whenIdle(),
    lane: () => orNull(lanes.interactive()),
    bulkLane: () => orNull(lanes.bulk()),
    async libraryHealth() {
      // The check's worker is unref'd (it must not hold a closing app open); a caller waiting for its
      // verdict keeps the process alive until it comes.
      const keepAlive = setInterval(() => {}, 60_000);
      try {
        await checked.catch(() => {});
      } finally {
        clearInterval(keepAlive);
      }
      return e.health.health();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(backupTimer);
      await e.models.abortInstalls(); // a background re-index stops before the database closes
      await e.library.close();
      await e.indexer.stop();
      await lanes.close();
      stores.db.close();
      e.events.clear();
    },
  };
}

export async function createService(opts: ServiceOptions): Promise<EngineService> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const engine = openEngine(opts, dataDir);
  const service = engineService(engine);
  if (opts.watch ?? true) {
    // Open the interactive lane now so the first query does not pay for loading the model.
    if (engine.lanes.activeId) void engine.lanes.interactive().catch(() => {});
    await engine.library.startWatching();
    // Catch up with what changed while the app was closed, then index what is pending
    // (including work a crash interrupted).
    engine.scans.background();
  }
  return service;
}

export type { IndexProgress };
