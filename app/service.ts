// The service: wires store, library, indexer, search and albums into the API's Handlers.
// Runs in a plain Node process (CLI, HTTP bridge) or Electron's utility process; no Electron here.
//
// Two model "lanes" with separate ORT sessions: the bulk lane runs the indexer's image batches,
// the interactive lane runs queries (text tower, fusion head, the odd non-library query photo).
// A query therefore never waits for an indexing batch to finish (a base-size batch of 8 takes
// ~2 s on 2 cores); the cost is a second copy of the graphs in memory (~0.7 GB for base), which
// the lanes only pay once the bulk lane is actually needed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError, type EventData, type EventEnvelope, type EventName, type Folder, type Handlers, type IndexProgress, type ModelInfo, type Settings } from './api/contract.js';
import { Settings as SettingsSchema } from './api/schemas.js';
import { APP_ROOT, BUNDLED_PACKS_DIR } from './paths.js';
import { openDatabase, type Db } from './store/db.js';
import { AlbumRepo } from './store/albums.js';
import { excludeOf, FolderRepo, type FolderRow } from './store/folders.js';
import { PhotoRepo, toPhoto } from './store/photos.js';
import { SettingsRepo } from './store/settings.js';
import { VectorStore } from './store/vectors.js';
import { Library } from './library/library.js';
import { Indexer } from './index/indexer.js';
import { openBulkLane, type Embedder } from './index/bulk-lane.js';
import { SearchEngine, type ModelLane } from './search/search.js';
import { AlbumEngine } from './search/albums.js';
import { openImage } from './media/decode.js';
import { contentTypeFor } from './media/formats.js';
import { thumbPath, writeThumb } from './media/thumbs.js';
import { specFromManifest, type PreprocessSpec } from './media/preprocess.js';
import { ModelRegistry, type PackInfo } from './model/registry.js';
import type { ModelPack } from './model/pack.js';
import { defaultProviders, MagicLensRuntime } from './model/runtime.js';

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

/** What the CLI and tests use beyond the contract. */
export interface BulkLane {
  embedder: Embedder;
  spec: PreprocessSpec;
  key: number;
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
}

const DEFAULT_SKETCH_INSTRUCTION = 'find a natural image of it';
const BULK_IDLE_MS = 60_000;

function defaultSettings(threads?: number): Settings {
  // Every core for the bulk lane: it runs below interactive work (nice 10 on Linux), so it only
  // takes what queries leave. Capped: ORT's scaling flattens past ~8 intra-op threads.
  const cores = Math.min(8, Math.max(1, os.availableParallelism()));
  return { threads: threads ?? cores, providers: defaultProviders(), theme: 'system', sketchInstruction: DEFAULT_SKETCH_INSTRUCTION };
}

function appVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function packSize(p: PackInfo): number {
  if (!p.manifest) return 0;
  return Object.values(p.manifest.files).reduce((s, f) => s + f.bytes, 0);
}

export async function createService(opts: ServiceOptions): Promise<EngineService> {
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const db = openDatabase(path.join(dataDir, 'library.db'));
  const photos = new PhotoRepo(db);
  const folders = new FolderRepo(db);
  const vectors = new VectorStore(db);
  const albumRepo = new AlbumRepo(db);
  const settingsRepo = new SettingsRepo(db);
  const registry = new ModelRegistry(dataDir, opts.bundledPacksDir ?? BUNDLED_PACKS_DIR);
  const watch = opts.watch ?? true;
  const listeners = new Set<(e: EventEnvelope) => void>();
  const emit = <E extends EventName>(event: E, data: EventData<E>) => {
    for (const l of listeners) {
      try {
        l({ event, data });
      } catch {
        /* a listener's failure is its own */
      }
    }
  };

  const getSettings = (): Settings => {
    const stored = settingsRepo.get<Partial<Settings>>('settings') ?? {};
    const merged = { ...defaultSettings(opts.threads), ...stored };
    const parsed = SettingsSchema.safeParse(merged);
    return parsed.success ? parsed.data : defaultSettings(opts.threads);
  };

  // ---- model lanes ----
  let activeId: string | null = opts.modelId ?? registry.active();
  let providerName: string | null = null;
  // A pack's files are verified (sha256 of every file, ~2 s for a base-size pack) once per
  // service, not once per lane.
  const packs = new Map<string, Promise<ModelPack>>();
  const packFor = (id: string): Promise<ModelPack> => {
    let p = packs.get(id);
    if (!p) {
      p = registry.get(id);
      packs.set(id, p);
      p.catch(() => packs.delete(id));
    }
    return p;
  };
  let interactive: Promise<ModelLane> | null = null;
  let bulk: Promise<BulkLane> | null = null;
  const openInteractive = async (): Promise<ModelLane> => {
    if (!activeId) throw new ApiError('unavailable', 'no model pack installed: run `magiclens model install` or install one in Settings');
    const pack = await packFor(activeId);
    const s = getSettings();
    // One thread: queries are small (text tower, fusion head) and must not fight the bulk lane for every core.
    const rt = await MagicLensRuntime.open(pack, { threads: 1, providers: [...s.providers] });
    providerName = rt.provider;
    const key = vectors.ensureModel(rt.modelId, rt.dim);
    return { rt, key, spec: specFromManifest(pack.manifest) };
  };
  const openBulk = async (): Promise<BulkLane> => {
    if (!activeId) throw new ApiError('unavailable', 'no model pack installed');
    const pack = await packFor(activeId);
    const s = getSettings();
    const embedder = await openBulkLane(pack, { threads: opts.threads ?? s.threads, providers: [...s.providers] });
    providerName ??= embedder.provider;
    const key = vectors.ensureModel(embedder.modelId, embedder.dim);
    return { embedder, key, spec: specFromManifest(pack.manifest) };
  };
  const lane = (_kind: 'interactive'): Promise<ModelLane> => {
    let p = interactive;
    if (!p) {
      p = openInteractive().catch((err: unknown) => {
        if (err instanceof ApiError) throw err;
        throw new ApiError('unavailable', `model ${activeId} cannot be loaded: ${(err as Error).message}`);
      });
      interactive = p;
      p.catch(() => {
        if (interactive === p) interactive = null; // retry on the next call
      });
    }
    return p;
  };
  let bulkOpen: BulkLane | null = null;
  let bulkIdleTimer: NodeJS.Timeout | null = null;
  const bulkLane = (): Promise<BulkLane> => {
    if (bulkOpen && !bulkOpen.embedder.alive) {
      // Its worker died (crash, out of memory): start a fresh one; the photos stayed pending.
      bulk = null;
      bulkOpen = null;
    }
    let p = bulk;
    if (!p) {
      p = openBulk().then((l) => (bulkOpen = l));
      bulk = p;
      p.catch(() => {
        if (bulk === p) bulk = null;
      });
    }
    return p;
  };
  const closeLanes = async () => {
    const i = interactive;
    const b = bulk;
    interactive = null;
    bulk = null;
    bulkOpen = null;
    if (i) await i.then((l) => l.rt.close()).catch(() => {});
    if (b) await b.then((l) => l.embedder.close()).catch(() => {});
  };

  /** Photos indexed under another model go back to pending for the active one (re-embedding). */
  const markStaleForActive = () => {
    if (!activeId) return;
    const info = registry.list().find((p) => p.id === activeId);
    const dim = info?.manifest?.architecture.embedDim;
    if (!dim) return;
    const key = vectors.ensureModel(activeId, dim);
    db.prepare(`UPDATE photos SET status = 'pending' WHERE status = 'indexed' AND id NOT IN (SELECT rowid FROM vec_target_${key})`).run();
  };
  markStaleForActive();

  const search = new SearchEngine(db, photos, vectors, () => lane('interactive'));
  const albums = new AlbumEngine(albumRepo, photos, search, (id, count) => emit('albums.changed', { id, count }));
  let pendingAlbumEvents: { id: number; count: number }[] = [];

  const indexer = new Indexer({
    db,
    photos,
    vectors,
    dataDir,
    batchSize: opts.batchSize,
    runtime: async () => {
      if (!activeId) return null;
      try {
        return await bulkLane();
      } catch {
        return null;
      }
    },
    onIndexed: (items) => {
      if (!activeId) return;
      pendingAlbumEvents.push(...albums.scoreNew(activeId, items));
    },
    onBatchCommitted: (ids) => {
      emit('photos.changed', { added: 0, updated: ids.length, removed: 0 });
      const evs = pendingAlbumEvents;
      pendingAlbumEvents = [];
      for (const e of evs) emit('albums.changed', e);
    },
    emitProgress: (p) => emit('index.progress', p),
    onIdle: () => {
      // The bulk lane holds a second copy of the model (~0.7 GB for base): let it go after a
      // quiet minute; the next indexing run reopens it (a second or two).
      if (bulkIdleTimer) clearTimeout(bulkIdleTimer);
      bulkIdleTimer = setTimeout(() => {
        bulkIdleTimer = null;
        if (indexer.isRunning) return;
        const b = bulk;
        bulk = null;
        bulkOpen = null;
        if (b) void b.then((l) => l.embedder.close()).catch(() => {});
      }, opts.bulkIdleMs ?? BULK_IDLE_MS);
      bulkIdleTimer.unref();
    },
  });

  const library = new Library(
    db,
    folders,
    photos,
    vectors,
    albumRepo,
    {
      changed: (c) => {
        emit('photos.changed', { added: c.added, updated: c.updated, removed: c.removed });
        if (c.pending > 0) indexer.kick();
        for (const id of c.affectedAlbums) void albums.refresh(id).catch(() => {});
      },
      foldersChanged: () => emit('folders.changed', {}),
      hashesDropped: (hashes) => {
        // The thumbnail cache is keyed by content: drop what no photo shows any more.
        for (const h of hashes) {
          if (!/^[0-9a-f]{64}$/.test(h)) continue;
          for (const f of [thumbPath(dataDir, h), path.join(dataDir, 'thumbs', 'full', `${h}.jpg`)]) fs.promises.rm(f, { force: true }).catch(() => {});
        }
      },
    },
    { watch, stabilityMs: opts.stabilityMs, graceMs: opts.graceMs },
  );

  let scans = 0;
  const scan = async (ids?: number[]): Promise<number> => {
    scans++;
    indexer.setScanning(true);
    try {
      return await library.scan(ids);
    } finally {
      scans--;
      indexer.setScanning(scans > 0);
      indexer.kick();
    }
  };
  const backgroundScan = (ids?: number[]) => {
    void scan(ids).catch(() => {});
  };

  const toFolder = (f: FolderRow): Folder => {
    const c = folders.counts(f.id);
    return { id: f.id, path: f.path, exclude: excludeOf(f), photoCount: c.photos, errorCount: c.errors, available: library.available(f), addedAt: f.added_at };
  };

  const modelInfos = (): ModelInfo[] =>
    registry.list().map((p) => ({
      id: p.id,
      name: p.name,
      demo: p.demo,
      active: p.id === activeId,
      bundled: p.bundled,
      embedDim: p.manifest?.architecture.embedDim ?? 0,
      imageSize: p.manifest?.image.size ?? 0,
      source: p.manifest?.source ?? '',
      licence: p.manifest?.licence ?? '',
      sizeBytes: packSize(p),
      error: p.error ?? null,
    }));

  const switchModel = async (id: string | null) => {
    await indexer.stop();
    await closeLanes();
    packs.clear(); // a re-installed pack with the same id must be read again
    activeId = id;
    providerName = null;
    markStaleForActive();
    indexer.restart();
    indexer.kick();
    emit('models.changed', { activeId });
  };

  const installs = new Map<string, AbortController>();
  let jobSeq = 0;

  const getPhotoRow = (id: number) => {
    const r = photos.get(id);
    if (!r) throw new ApiError('not_found', `no photo ${id}`);
    return r;
  };

  const handlers: Handlers = {
    'status.get': async () => {
      const info = modelInfos().find((m) => m.active) ?? null;
      return {
        version: appVersion(),
        dataDir,
        model: info,
        provider: providerName,
        photos: photos.countByStatus(),
        folders: folders.all().length,
        albums: albumRepo.all().length,
        index: indexer.progress(),
      };
    },

    'folders.list': async () => folders.all().map(toFolder),
    'folders.add': async ({ path: p, exclude }) => {
      const before = folders.all().length;
      const f = await library.addFolder(p, exclude);
      if (folders.all().length > before) backgroundScan([f.id]);
      return toFolder(f);
    },
    'folders.remove': async ({ id }) => ({ removed: await library.removeFolder(id) }),
    'folders.setExclusions': async ({ id, exclude }) => {
      const f = await library.setExclusions(id, exclude);
      indexer.kick();
      return toFolder(f);
    },
    'folders.rescan': async ({ id }) => {
      if (id !== undefined && !folders.get(id)) throw new ApiError('not_found', `no folder ${id}`);
      const ids = id !== undefined ? [id] : folders.all().map((f) => f.id);
      backgroundScan(ids);
      return { queued: ids.length };
    },

    'photos.list': async (p) => {
      const r = photos.list(p);
      return { items: r.items.map(toPhoto), total: r.total };
    },
    'photos.get': async ({ id }) => toPhoto(getPhotoRow(id)),
    'photos.errors': async ({ offset, limit }) => {
      const r = photos.errors(offset, limit);
      return { items: r.items.map(toPhoto), total: r.total };
    },

    'search.compose': async (p) => search.compose(p),
    'search.text': async (p) => search.text(p),
    'search.similar': async (p) => search.similar(p),
    'search.sketch': async (p) => search.compose({ ...p, instruction: p.instruction ?? getSettings().sketchInstruction }, 'sketch'),

    'albums.list': async () => albums.list(),
    'albums.get': async ({ id, offset, limit }) => albums.get(id, offset, limit),
    'albums.create': async (p) => {
      if (p.query.kind !== 'text') getPhotoRow(p.query.photoId);
      return albums.create(p);
    },
    'albums.update': async (p) => albums.update(p),
    'albums.delete': async ({ id }) => ({ deleted: albums.delete(id) }),

    'index.progress': async () => indexer.progress(),
    'index.pause': async () => indexer.pause(),
    'index.resume': async () => indexer.resume(),

    'models.list': async () => modelInfos(),
    'models.activate': async ({ id }) => {
      const info = modelInfos().find((m) => m.id === id);
      if (!info) throw new ApiError('not_found', `no model pack ${id}`);
      if (info.error) throw new ApiError('bad_input', `model pack ${id} is damaged: ${info.error}`);
      registry.setActive(id);
      if (id !== activeId) await switchModel(id);
      return modelInfos().find((m) => m.id === id)!;
    },
    'models.install': async ({ checkpoint, vocab, name }) => {
      const jobId = `install-${Date.now().toString(36)}-${++jobSeq}`;
      const ac = new AbortController();
      installs.set(jobId, ac);
      const progress = (phase: string, done: number, total: number, message: string | null) =>
        emit('models.installProgress', { jobId, phase: phase as EventData<'models.installProgress'>['phase'], done, total, message });
      void (async () => {
        try {
          // Loaded on demand: the converter is only needed while installing.
          const { installOfficialModel } = await import('./model/install.js');
          const r = await installOfficialModel({
            dataDir,
            checkpoint,
            vocab,
            ...(name ? { name } : {}),
            signal: ac.signal,
            onProgress: (p) => progress(p.phase, p.done, p.total, p.message ?? null),
          });
          progress('done', 1, 1, `installed ${r.id}`);
          // A newly installed real model becomes the active one unless the user chose one
          // (the registry's rule); the library is then re-embedded with it in the background.
          const next = registry.active();
          if (next !== activeId || r.id === activeId) await switchModel(next);
          else emit('models.changed', { activeId });
        } catch (err) {
          progress('error', 0, 0, (err as Error).message);
        } finally {
          installs.delete(jobId);
        }
      })();
      return { jobId };
    },
    'models.cancelInstall': async ({ jobId }) => {
      const ac = installs.get(jobId);
      if (!ac) return { cancelled: false };
      ac.abort();
      return { cancelled: true };
    },
    'models.remove': async ({ id }) => {
      const info = modelInfos().find((m) => m.id === id);
      if (!info) return { removed: false };
      if (info.bundled) throw new ApiError('bad_input', `${id} ships with the app and cannot be removed`);
      try {
        registry.remove(id);
      } catch (err) {
        throw new ApiError('bad_input', (err as Error).message);
      }
      if (id === activeId) await switchModel(registry.active());
      else emit('models.changed', { activeId });
      return { removed: true };
    },

    'settings.get': async () => getSettings(),
    'settings.set': async (p) => {
      const prev = getSettings();
      const next = SettingsSchema.parse({ ...prev, ...p });
      settingsRepo.set('settings', next);
      if (next.threads !== prev.threads || next.providers.join() !== prev.providers.join()) {
        // New ORT sessions are needed: reopen the lanes (indexing continues where it was).
        await switchModel(activeId);
      }
      return next;
    },
  };

  const imageFile = async (photoId: number, kind: 'thumb' | 'full'): Promise<{ path: string; contentType: string }> => {
    const row = getPhotoRow(photoId);
    let real: string;
    try {
      real = await fs.promises.realpath(row.path);
    } catch {
      throw new ApiError('not_found', `photo ${photoId} is not on disk (${row.path})`);
    }
    // Only ever serve files that really live inside a library folder (no symlink escapes).
    const roots = await Promise.all(folders.all().map((f) => fs.promises.realpath(f.path).catch(() => null)));
    if (!roots.some((r) => r !== null && (real.startsWith(r + path.sep) || real === r))) {
      throw new ApiError('bad_input', `photo ${photoId} resolves outside the library folders`);
    }
    if (kind === 'full' && row.format !== 'heic') return { path: real, contentType: contentTypeFor(row.format, real) };
    if (!row.hash) throw new ApiError('not_found', `photo ${photoId} has no thumbnail (${row.error ?? 'not read yet'})`);
    if (kind === 'thumb') {
      const t = thumbPath(dataDir, row.hash);
      if (!fs.existsSync(t)) {
        try {
          const img = await openImage(await fs.promises.readFile(real, { flag: 'r' }));
          await writeThumb(dataDir, row.hash, img.source, img.autoOrient);
        } catch (err) {
          throw new ApiError('bad_input', `cannot make a thumbnail for photo ${photoId}: ${(err as Error).message}`);
        }
      }
      return { path: t, contentType: 'image/jpeg' };
    }
    // HEIC: browsers cannot show it; serve a cached full-size JPEG rendition instead.
    const out = path.join(dataDir, 'thumbs', 'full', `${row.hash}.jpg`);
    if (!fs.existsSync(out)) {
      const { default: sharp } = await import('sharp');
      const img = await openImage(await fs.promises.readFile(real, { flag: 'r' }));
      await fs.promises.mkdir(path.dirname(out), { recursive: true });
      const tmp = `${out}.${process.pid}.tmp`;
      await sharp(img.source).jpeg({ quality: 90 }).toFile(tmp);
      await fs.promises.rename(tmp, out);
    }
    return { path: out, contentType: 'image/jpeg' };
  };

  let closed = false;
  const service: EngineService = {
    dataDir,
    db,
    handlers,
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    imageFile,
    scan,
    async scansIdle() {
      while (scans > 0) await new Promise((r) => setTimeout(r, 20));
    },
    lane: async (kind) => {
      try {
        return await lane(kind);
      } catch {
        return null;
      }
    },
    bulkLane: async () => {
      try {
        return await bulkLane();
      } catch {
        return null;
      }
    },
    async whenIdle() {
      // Loop: a scan can kick the indexer, the indexer's batch can trigger album refreshes.
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        if (library.settling || scans > 0) continue;
        await indexer.whenIdle();
        if (library.settling || scans > 0) continue;
        if (indexer.isPaused || !indexer.hasWorkLeft()) return;
        indexer.kick();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (bulkIdleTimer) clearTimeout(bulkIdleTimer);
      for (const ac of installs.values()) ac.abort();
      await library.close();
      await indexer.stop();
      await closeLanes();
      db.close();
      listeners.clear();
    },
  };

  if (watch) {
    // Open the interactive lane now so the first query does not pay for loading the model.
    if (activeId) void lane('interactive').catch(() => {});
    await library.startWatching();
    // Catch up with what changed while the app was closed, then index what is pending
    // (including work a crash interrupted).
    backgroundScan();
  }
  return service;
}

export type { IndexProgress };
