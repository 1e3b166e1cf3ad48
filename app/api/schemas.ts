// Runtime schemas for every value that crosses a process boundary. The TypeScript types in
// contract.ts are inferred from these, so a type and its validator can never drift apart.
// This module must stay free of Node imports: the renderer bundles it.
import { z } from 'zod';

export const Id = z.number().int().positive();
const Offset = z.number().int().min(0).max(10_000_000).default(0);
const Limit = z.number().int().min(1).max(1000).default(60);
/** Windows DOS device names, which open a device whatever folder or extension they are given. */
const DOS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$) *(\.[^\\/]*)?$/i;

/**
 * Why a path may not enter the service, or null when it may. Refused everywhere (IPC, HTTP
 * bridge, CLI, the service itself): UNC shares (`\\host\share`, `//host/share`: opening one makes
 * Windows send the user's NTLM hash to that host), Win32 device and namespace paths (`\\?\`,
 * `\\.\`, `\??\`, `CON`, `NUL`, `COM1`…), and the POSIX device/kernel trees (/dev, /proc, /sys),
 * whose files never end or block. Pure string checks: this module is bundled into the renderer.
 */
export function fsPathProblem(p: string): string | null {
  if (p.includes('\0')) return 'path contains a NUL byte';
  if (/^[\\/]{2}/.test(p)) return 'network (UNC) and device paths are not accepted';
  if (/^\\\?\?\\/.test(p)) return 'device paths are not accepted';
  // Device names only mean a device on Windows: a POSIX path (leading "/") may hold a folder "con".
  if (!p.startsWith('/') && p.split(/[\\/]/).some((seg) => DOS_DEVICE.test(seg.replace(/[ .]+$/, '') || seg))) return 'device names (CON, NUL, COM1…) are not accepted';
  if (/^\/(dev|proc|sys)(\/|$)/.test(p)) return 'device and kernel folders are not accepted';
  return null;
}

/** A path on the user's machine; the service checks it further (existence, library confinement). */
const FsPath = z
  .string()
  .min(1)
  .max(4096)
  .superRefine((s, ctx) => {
    const problem = fsPathProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: ${s.slice(0, 200)}` });
  });

export const PhotoStatus = z.enum(['pending', 'indexed', 'error']);

export const Photo = z.object({
  id: Id,
  hash: z.string(),
  path: z.string(),
  name: z.string(),
  folderId: Id.nullable(),
  size: z.number().int().min(0),
  mtimeMs: z.number(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  takenAt: z.number().nullable(),
  camera: z.string().nullable(),
  format: z.string().nullable(),
  status: PhotoStatus,
  error: z.string().nullable(),
  favourite: z.boolean().optional(),
});

export const Folder = z.object({
  id: Id,
  path: z.string(),
  exclude: z.array(z.string()),
  photoCount: z.number().int().min(0),
  errorCount: z.number().int().min(0),
  available: z.boolean(),
  addedAt: z.number(),
});

const SearchFiltersObject = z
  .object({
    folderIds: z.array(Id).max(1000).optional(),
    takenAfter: z.number().optional(),
    takenBefore: z.number().optional(),
    formats: z.array(z.string().max(16)).max(32).optional(),
  })
  .strict();
export const SearchFilters = SearchFiltersObject.default({});

/** The most bytes a query photo sent by value may have (decoded); larger is refused with a reason. */
export const MAX_QUERY_PHOTO_BYTES = 32 * 1024 * 1024;
const Base64 = z
  .string()
  .min(1, 'query photo is empty')
  .max(Math.ceil(MAX_QUERY_PHOTO_BYTES / 3) * 4, `query photo too large: over ${MAX_QUERY_PHOTO_BYTES / 1024 / 1024} MiB`)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'query photo bytes must be base64');
/**
 * A query photo: one from the library by id, or an image's BYTES (base64) with an optional display
 * name. Never a path: a photo from outside the library is read by whoever chose it (the CLI, the
 * renderer's file picker) and sent by value, so no API call can make the service open a file.
 */
export const PhotoRef = z.union([z.object({ id: Id }).strict(), z.object({ bytes: Base64, name: z.string().max(255).optional() }).strict()]);

/** A set of photos chosen in the UI (a selection, up to a whole large library). */
const PhotoIds = z.array(Id).min(1).max(200_000);

export const ExportResult = z.object({
  dest: z.string(),
  copied: z.number().int(),
  /** copies that got another name because the folder already had a file by that name */
  renamed: z.number().int(),
  /** photos whose file is gone (or no longer in the library) */
  missing: z.number().int(),
});

const Page = { offset: Offset, limit: Limit, filters: SearchFilters };

export const SearchHit = z.object({ photo: Photo, score: z.number() });

export const SearchResult = z.object({
  kind: z.enum(['compose', 'text', 'similar', 'sketch']),
  hits: z.array(SearchHit),
  offset: z.number().int(),
  hasMore: z.boolean(),
  queryPhoto: Photo.nullable(),
  instruction: z.string().nullable(),
  modelId: z.string(),
  elapsedMs: z.number(),
});

/** A search the user ran, remembered by the service (newest first) so it can be run again in one click. */
export const RecentSearch = z.object({
  kind: z.enum(['compose', 'text', 'similar']),
  /** the library photo searched from (compose, similar); null for a text search */
  photoId: Id.nullable(),
  /** the instruction (compose) or the text (text); '' for similar */
  text: z.string().max(2000),
  at: z.number(),
  /** the query photo as it is now (null for text) */
  photo: Photo.nullable(),
});
/** What identifies a recent search (to remember or forget it). */
export const RecentSearchKey = z
  .object({ kind: z.enum(['compose', 'text', 'similar']), photoId: Id.nullable().default(null), text: z.string().trim().max(2000).default('') })
  .strict()
  .superRefine((k, ctx) => {
    if (k.kind !== 'text' && k.photoId === null) ctx.addIssue({ code: 'custom', message: `a ${k.kind} search needs a photoId` });
    if (k.kind === 'text' && (k.photoId !== null || !k.text)) ctx.addIssue({ code: 'custom', message: 'a text search has text and no photoId' });
  });

export const AlbumQuery = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('compose'), photoId: Id, instruction: z.string().max(2000) }).strict(),
  z.object({ kind: z.literal('text'), text: z.string().min(1).max(2000) }).strict(),
  z.object({ kind: z.literal('similar'), photoId: Id }).strict(),
]);

export const AlbumRule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('topN'), n: z.number().int().min(1).max(10_000) }).strict(),
  /** Relative rule: keep photos scoring within `margin` of the best match, capped at `max`. */
  z.object({ kind: z.literal('relative'), margin: z.number().min(0).max(2), max: z.number().int().min(1).max(10_000) }).strict(),
]);

export const Album = z.object({
  id: Id,
  name: z.string(),
  /** 'manual': photos the user put there (no query, no rule); absent or 'smart': a saved search */
  kind: z.enum(['smart', 'manual']).optional(),
  query: AlbumQuery.nullable(),
  rule: AlbumRule.nullable(),
  filters: SearchFilters,
  count: z.number().int().min(0),
  coverPhotoId: Id.nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const IndexState = z.enum(['idle', 'scanning', 'indexing', 'paused']);

export const IndexProgress = z.object({
  state: IndexState,
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  failed: z.number().int().min(0),
  ratePerSec: z.number().min(0),
  etaSec: z.number().min(0).nullable(),
  current: z.string().nullable(),
  modelId: z.string().nullable(),
});

export const ModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  demo: z.boolean(),
  active: z.boolean(),
  bundled: z.boolean(),
  embedDim: z.number().int(),
  imageSize: z.number().int(),
  source: z.string(),
  licence: z.string(),
  sizeBytes: z.number().int().min(0),
  error: z.string().nullable(),
  /** the bulk lane's image tower (float32 or its int8 twin) and why: the int8 self-check's verdict, the setting, or the store's pin */
  imagePrecision: z.object({ precision: z.enum(['fp32', 'int8']), reason: z.string() }).nullable().optional(),
});

export const ProviderName = z.enum(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']);

export const Settings = z.object({
  threads: z.number().int().min(1).max(64),
  providers: z.array(ProviderName).min(1).max(5),
  theme: z.enum(['system', 'light', 'dark']),
  sketchInstruction: z.string().min(1).max(500),
  /** image tower for indexing: 'auto' (int8 when the self-check on the user's photos passes), or forced */
  imagePrecision: z.enum(['auto', 'fp32', 'int8']).optional(),
});

export const Status = z.object({
  version: z.string(),
  dataDir: z.string(),
  model: ModelInfo.nullable(),
  provider: z.string().nullable(),
  photos: z.object({ total: z.number().int(), indexed: z.number().int(), pending: z.number().int(), errors: z.number().int() }),
  folders: z.number().int(),
  albums: z.number().int(),
  index: IndexProgress,
  /** the library file's health: 'checking' while the integrity check runs in the background */
  library: z.object({
    state: z.enum(['checking', 'ok', 'damaged']),
    errors: z.array(z.string()),
    checkedAt: z.number().nullable(),
    lastBackupAt: z.number().nullable(),
  }).optional(),
});

export const RepairResult = z.object({
  action: z.enum(['restored', 'rebuilt']),
  /** when the restored backup was made; null for a rebuild */
  backupAt: z.number().nullable(),
  /** photos that go back to pending and will be re-embedded */
  pending: z.number().int(),
  state: z.enum(['checking', 'ok', 'damaged']),
  message: z.string(),
});

export const ModelInstallPhase = z.enum(['download-checkpoint', 'download-vocab', 'convert', 'verify', 'install', 'done', 'error']);

export const ModelInstallProgress = z.object({
  jobId: z.string(),
  phase: ModelInstallPhase,
  done: z.number().min(0),
  total: z.number().min(0),
  message: z.string().nullable(),
  /** downloads: bytes per second and seconds left (null until known) */
  ratePerSec: z.number().min(0).optional(),
  etaSec: z.number().min(0).nullable().optional(),
  /** on 'error': the failure class (download failures), so the UI can offer the fallback */
  failure: z.string().optional(),
});

/** An official model the app can install (app/model/catalogue.ts). */
export const ModelCatalogueEntry = z.object({
  id: z.enum(['base', 'large']),
  packId: z.string(),
  name: z.string(),
  backbone: z.string(),
  file: z.string(),
  downloadBytes: z.number(),
  licence: z.string(),
  ramBytes: z.number(),
  diskBytes: z.number(),
  /** expected indexing speed on this computer, and how it was arrived at */
  imagesPerSec: z.number(),
  speedBasis: z.string(),
  installed: z.boolean(),
  /** where a failed download can be had instead */
  fallback: z.string(),
});

/** Re-embedding the library with a new model while search keeps using the current one. */
export const ModelUpgrade = z.object({
  state: z.enum(['running', 'paused', 'switched', 'cancelled']),
  fromId: z.string().nullable(),
  targetId: z.string(),
  targetName: z.string(),
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  ratePerSec: z.number().min(0),
  etaSec: z.number().min(0).nullable(),
});

export const ApiErrorCode = z.enum(['invalid_request', 'unknown_method', 'not_found', 'conflict', 'bad_input', 'unavailable', 'unauthorized', 'internal']);

export const ApiErrorBody = z.object({ code: ApiErrorCode, message: z.string(), details: z.unknown().optional() });

const Empty = z.object({}).strict().default({});

/** A suggested search over the bundled sample photos: the query photo (null until indexed) + instruction. */
export const SampleSuggestion = z.object({
  kind: z.string(),
  title: z.string(),
  instruction: z.string(),
  file: z.string(),
  photoId: Id.nullable(),
});
/** The sample library: whether the app ships one, its folder in the library (null until added), suggestions. */
export const SamplesInfo = z.object({ available: z.boolean(), folderId: Id.nullable(), photos: z.number().int().min(0), suggestions: z.array(SampleSuggestion) });

/**
 * Every request: method name → params schema + result schema. Params are validated at every
 * boundary (IPC adapter, HTTP bridge, CLI); results are produced by our own service.
 */
export const methods = {
  'status.get': { params: Empty, result: Status },

  'folders.list': { params: Empty, result: z.array(Folder) },
  'folders.add': { params: z.object({ path: FsPath, exclude: z.array(z.string().max(500)).max(100).default([]) }).strict(), result: Folder },
  'folders.remove': { params: z.object({ id: Id }).strict(), result: z.object({ removed: z.boolean() }) },
  'folders.setExclusions': { params: z.object({ id: Id, exclude: z.array(z.string().max(500)).max(100) }).strict(), result: Folder },
  'folders.rescan': { params: z.object({ id: Id.optional() }).strict().default({}), result: z.object({ queued: z.number().int() }) },

  'photos.list': {
    params: z
      // hideErrors: only readable photos (the grid); files that could not be read are listed by photos.errors.
      // favourites: only photos marked as favourites.
      .object({ offset: Offset, limit: Limit, folderId: Id.optional(), sort: z.enum(['date-desc', 'date-asc', 'name']).default('date-desc'), hideErrors: z.boolean().optional(), favourites: z.boolean().optional() })
      .strict()
      .default({ offset: 0, limit: 60, sort: 'date-desc' }),
    result: z.object({ items: z.array(Photo), total: z.number().int() }),
  },
  /**
   * The timeline: the photos photos.list returns (same filters, date sorts), counted by day of
   * capture (EXIF DateTimeOriginal as written by the camera, else the file's time, counted in
   * fileTime), in the list's order, so the grid can put a header before each day.
   */
  'photos.timeline': {
    params: z.object({ folderId: Id.optional(), sort: z.enum(['date-desc', 'date-asc']).default('date-desc'), hideErrors: z.boolean().optional(), favourites: z.boolean().optional() }).strict().default({ sort: 'date-desc' }),
    result: z.array(z.object({ day: z.string(), count: z.number().int().min(1), fileTime: z.number().int().min(0) })),
  },
  'photos.get': { params: z.object({ id: Id }).strict(), result: Photo },
  'photos.setFavourite': { params: z.object({ ids: PhotoIds, favourite: z.boolean() }).strict(), result: z.object({ changed: z.number().int() }) },
  /**
   * Copies photos into a folder the user named (created if missing). Originals are only read:
   * never moved or modified; an existing file of the same name is never overwritten (the copy
   * gets " (2)"…). A typed "~/…" means the home folder; relative paths are refused.
   */
  'photos.export': { params: z.object({ ids: PhotoIds, dest: FsPath }).strict(), result: ExportResult },
  'photos.errors': {
    params: z.object({ offset: Offset, limit: Limit }).strict().default({ offset: 0, limit: 60 }),
    result: z.object({ items: z.array(Photo), total: z.number().int() }),
  },

  'search.compose': {
    params: z.object({ photo: PhotoRef, instruction: z.string().max(2000), includeQueryPhoto: z.boolean().default(false), ...Page }).strict(),
    result: SearchResult,
  },
  'search.text': { params: z.object({ text: z.string().min(1).max(2000), ...Page }).strict(), result: SearchResult },
  'search.similar': {
    params: z.object({ photo: PhotoRef, includeQueryPhoto: z.boolean().default(false), ...Page }).strict(),
    result: SearchResult,
  },
  'search.sketch': {
    params: z.object({ photo: PhotoRef, instruction: z.string().max(2000).optional(), includeQueryPhoto: z.boolean().default(false), ...Page }).strict(),
    result: SearchResult,
  },

  /** The last searches (library photo + instruction, photo, text), newest first; ones whose photo is gone are dropped. */
  'search.recent': { params: Empty, result: z.array(RecentSearch) },
  'search.remember': { params: RecentSearchKey, result: z.array(RecentSearch) },
  /** Forgets one recent search, or all of them ("Clear") when no key is given. */
  'search.forget': { params: z.object({ key: RecentSearchKey.optional() }).strict().default({}), result: z.array(RecentSearch) },

  'albums.list': { params: Empty, result: z.array(Album) },
  'albums.get': {
    params: z.object({ id: Id, offset: Offset, limit: Limit }).strict(),
    result: z.object({ album: Album, hits: z.array(SearchHit), hasMore: z.boolean() }),
  },
  'albums.create': {
    params: z.object({ name: z.string().trim().min(1).max(200), query: AlbumQuery, rule: AlbumRule.default({ kind: 'topN', n: 50 }), filters: SearchFilters }).strict(),
    result: Album,
  },
  // filters without a default: an update that names none keeps the album's (a rename used to clear them).
  'albums.update': {
    params: z.object({ id: Id, name: z.string().trim().min(1).max(200).optional(), rule: AlbumRule.optional(), filters: SearchFiltersObject.optional() }).strict(),
    result: Album,
  },
  /** A manual album: photos the user puts there (optionally some at once). */
  'albums.createManual': {
    params: z.object({ name: z.string().trim().min(1).max(200), photoIds: z.array(Id).max(200_000).default([]) }).strict(),
    result: Album,
  },
  'albums.addPhotos': { params: z.object({ id: Id, photoIds: PhotoIds }).strict(), result: z.object({ changed: z.number().int(), album: Album }) },
  'albums.removePhotos': { params: z.object({ id: Id, photoIds: PhotoIds }).strict(), result: z.object({ changed: z.number().int(), album: Album }) },
  /** A manual album holding a smart album's current photos (the smart album stays). */
  'albums.freeze': { params: z.object({ id: Id, name: z.string().trim().min(1).max(200).optional() }).strict(), result: Album },
  'albums.delete': { params: z.object({ id: Id }).strict(), result: z.object({ deleted: z.boolean() }) },

  'index.progress': { params: Empty, result: IndexProgress },
  'index.pause': { params: Empty, result: IndexProgress },
  'index.resume': { params: Empty, result: IndexProgress },

  'models.list': { params: Empty, result: z.array(ModelInfo) },
  'models.activate': { params: z.object({ id: z.string().min(1).max(200) }).strict(), result: ModelInfo },
  'models.install': {
    params: z
      .object({ checkpoint: z.string().min(1).max(4096), vocab: z.string().min(1).max(4096), name: z.string().max(200).optional() })
      .strict(),
    result: z.object({ jobId: z.string() }),
  },
  'models.cancelInstall': { params: z.object({ jobId: z.string() }).strict(), result: z.object({ cancelled: z.boolean() }) },
  'models.remove': { params: z.object({ id: z.string().min(1).max(200) }).strict(), result: z.object({ removed: z.boolean() }) },
  'models.catalogue': { params: Empty, result: z.array(ModelCatalogueEntry) },
  /** the re-embedding in progress (null when none) */
  'models.upgrade': { params: Empty, result: ModelUpgrade.nullable() },
  /** switch to the model being prepared now, before its index covers the library */
  'models.switchNow': { params: Empty, result: z.object({ switched: z.boolean() }) },

  'library.repair': {
    params: z.object({ mode: z.enum(['auto', 'restore', 'rebuild']).default('auto') }).strict().default({ mode: 'auto' }),
    result: RepairResult,
  },

  // The demo world's sample photos, copied into the data folder and added as a library folder.
  'samples.get': { params: Empty, result: SamplesInfo },
  'samples.add': { params: Empty, result: SamplesInfo },

  'settings.get': { params: Empty, result: Settings },
  'settings.set': { params: Settings.partial().strict(), result: Settings },
} as const;

/** Events pushed from the service to every connected client. */
export const events = {
  'index.progress': IndexProgress,
  'photos.changed': z.object({ added: z.number().int(), updated: z.number().int(), removed: z.number().int() }),
  'folders.changed': z.object({}),
  'albums.changed': z.object({ id: Id, count: z.number().int() }),
  'models.installProgress': ModelInstallProgress,
  'models.changed': z.object({ activeId: z.string().nullable() }),
  'models.upgrade': ModelUpgrade,
  /** Desktop only: the service process stopped and is being restarted (or was given up on). */
  'service.state': z.object({ state: z.enum(['running', 'restarting', 'stopped']), attempt: z.number().int().min(0), message: z.string().nullable() }),
} as const;
