// Application state (Svelte 5 runes) and the actions views call. One instance per window.
import type { Album, AlbumQuery, Folder, IndexProgress, ModelInfo, ModelInstallProgress, ModelUpgrade, Photo, RecentSearch, RepairResult, SearchResult, Settings, Status } from '../../../app/api/contract.js';
import type { Client } from './api.js';
import { Bulk } from './bulk.svelte.js';
import { Selection } from './selection.svelte.js';
import { ArraySource, PagedSource, type GridItem, type GridSource } from './sources.svelte.js';

export type View =
  | { name: 'library'; folderId: number | null; favourites?: boolean }
  | { name: 'search' }
  | { name: 'album'; id: number }
  | { name: 'errors' }
  | { name: 'models' }
  | { name: 'settings' };

/** A query photo: a library photo, or an image file's bytes read in the page (never a path). */
export type QueryPhoto = { kind: 'library'; photo: Photo } | { kind: 'file'; name: string; bytes: string; preview?: string };

/** A path the add-folder field can send: absolute, or under the home folder (`~`, expanded by the service). */
export function folderPathProblem(p: string): string | null {
  if (p === '~' || /^~[\\/]/.test(p)) return null;
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) return null;
  return 'Type the full path of the folder, e.g. /home/you/Pictures or ~/Pictures (a relative path is not accepted).';
}

export interface MenuRequest {
  photo: Photo;
  x: number;
  y: number;
  /** the grid it was opened on (for "Add to album…", which selects the photo there) */
  source?: GridSource;
  index?: number;
}

type SearchKind = 'compose' | 'text' | 'similar';

function debounce(fn: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (t) clearTimeout(t);
    t = setTimeout(() => {
      t = null;
      fn();
    }, ms);
  };
}

export class AppState {
  view = $state<View>({ name: 'library', folderId: null });
  status = $state<Status | null>(null);
  folders = $state<Folder[]>([]);
  albums = $state<Album[]>([]);
  progress = $state<IndexProgress | null>(null);
  private progressEvents = 0;
  settings = $state<Settings | null>(null);
  models = $state<ModelInfo[]>([]);
  installs = $state<Record<string, ModelInstallProgress>>({});
  /** the background re-index for a new model (issue 11), null when none */
  upgrade = $state<ModelUpgrade | null>(null);
  connected = $state(true);
  ready = $state(false);
  fatal = $state<string | null>(null);

  // Search bar
  query = $state<QueryPhoto | null>(null);
  instruction = $state('');
  focusInstruction = $state(0); // bumped to ask the search bar to focus its field
  pickMode = $state(false);
  /** The last searches, kept by the service; offered under the empty search field. */
  recent = $state<RecentSearch[]>([]);

  // Search results
  result = $state<SearchResult | null>(null);
  resultKind = $state<SearchKind | null>(null);
  searching = $state(false);
  searchError = $state<string | null>(null);
  /** A new source per search, so the grid starts at the top for each new query. */
  results = $state(new ArraySource());
  private lastSearch: { kind: SearchKind; params: Record<string, unknown> } | null = null;

  // Album view
  album = $state<Album | null>(null);
  albumHits = $state(new ArraySource());
  albumHasMore = $state(false);

  // Library grid
  library = $state() as PagedSource;
  libraryFolder: number | null = null;
  private libraryFavourites = false;
  sort = $state<'date-desc' | 'date-asc' | 'name'>('date-desc');

  // Selection in the grid on screen, and the bulk actions on it
  readonly selection = new Selection();
  readonly bulk: Bulk;

  // Library health (issue 10): the repair dialog and its outcome
  repairDialog = $state(false);
  repairing = $state(false);
  repairResult = $state<RepairResult | null>(null);
  repairError = $state<string | null>(null);
  private statusPoll: ReturnType<typeof setTimeout> | null = null;

  // Overlays
  viewer = $state<{ source: GridSource; index: number } | null>(null);
  menu = $state<MenuRequest | null>(null);
  saveDialog = $state(false);
  addFolderDialog = $state(false);
  /** Shown next to the add-folder field (not in a toast far from it). */
  addFolderError = $state<string | null>(null);
  /** Relevance: strong matches are those within `strongMargin` of the best (app/search/rules.ts's relative rule). */
  strongMargin = $state(0.06);
  /** "Show more" stops once the last result is further than this below the best (the user moves it). */
  cutoffMargin = $state(0.15);
  showScores = $state(false);
  sidebarCollapsed = $state(false);
  toast = $state<{ message: string; kind: 'info' | 'error' } | null>(null);
  /** Read out by the always-present polite live region (search results and the like). */
  announcement = $state('');
  private searchSeq = 0;
  private toastTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly client: Client) {
    this.library = this.makeLibrary(null);
    this.bulk = new Bulk(this);
  }

  get isDesktop(): boolean {
    return this.client.transport === 'ipc';
  }

  private makeLibrary(folderId: number | null, favourites = false): PagedSource {
    this.libraryFolder = folderId;
    this.libraryFavourites = favourites;
    const sort = this.sort;
    // Files that could not be read are not photos here: they are listed under Problems.
    const base = { sort, hideErrors: true, ...(favourites ? { favourites: true } : {}) };
    const where = folderId === null ? {} : { folderId };
    // Date sorts show the timeline: a header per day of capture (sources.svelte.ts, grid.ts).
    const groups = sort === 'name' ? undefined : () => this.client.call('photos.timeline', { ...where, sort, hideErrors: true, ...(favourites ? { favourites: true } : {}) });
    return new PagedSource((offset, limit) => this.client.call('photos.list', { offset, limit, ...where, ...base }), 240, groups);
  }

  async start(): Promise<void> {
    const c = this.client;
    c.onConnection((up) => {
      const wasDown = !this.connected;
      this.connected = up;
      if (up && wasDown) void this.reloadAll();
    });
    const refreshPhotos = debounce(() => {
      this.library.refresh();
      void this.loadFolders();
      void this.loadStatus();
    }, 250);
    c.on('index.progress', (p) => {
      this.progressEvents++;
      this.progress = p;
      if (p.state === 'idle') refreshPhotos();
    });
    c.on('photos.changed', () => refreshPhotos());
    c.on('folders.changed', () => {
      void this.loadFolders();
      void this.loadStatus();
    });
    c.on('albums.changed', (e) => {
      const i = this.albums.findIndex((a) => a.id === e.id);
      if (i >= 0) {
        const a = this.albums[i]!;
        this.albums[i] = { ...a, count: e.count };
      } else void this.loadAlbums();
      if (this.view.name === 'album' && this.view.id === e.id) void this.openAlbum(e.id, true);
    });
    c.on('models.installProgress', (p) => {
      this.installs = { ...this.installs, [p.jobId]: p };
      if (p.phase === 'done') void this.loadModels();
    });
    c.on('models.upgrade', (u) => {
      this.upgrade = u;
    });
    c.on('models.changed', () => {
      void this.loadModels();
      void this.loadStatus();
    });
    await this.reloadAll();
    this.ready = true;
  }

  async reloadAll(): Promise<void> {
    try {
      await Promise.all([this.loadStatus(), this.loadFolders(), this.loadAlbums(), this.loadSettings(), this.loadModels(), this.loadRecent()]);
      const seen = this.progressEvents;
      const progress = await this.client.call('index.progress', {});
      if (this.progressEvents === seen) this.progress = progress;
      this.library.refresh();
      this.fatal = null;
    } catch (err) {
      this.fatal = err instanceof Error ? err.message : String(err);
    }
  }

  async loadStatus(): Promise<void> {
    this.status = await this.client.call('status.get', {});
    // The integrity check runs in the background after the service opens: ask again until it has a verdict.
    if (this.status.library?.state === 'checking' && !this.statusPoll) {
      this.statusPoll = setTimeout(() => {
        this.statusPoll = null;
        void this.loadStatus().catch(() => undefined);
      }, 1000);
    }
  }

  get libraryDamaged(): boolean {
    return this.status?.library?.state === 'damaged';
  }

  /** library.repair: restores the last good backup, or rebuilds the vectors; then everything is reloaded. */
  async repairLibrary(): Promise<void> {
    this.repairing = true;
    this.repairError = null;
    this.repairResult = null;
    try {
      this.repairResult = await this.client.call('library.repair', { mode: 'auto' });
      this.searchError = null;
      await this.reloadAll();
    } catch (err) {
      this.repairError = err instanceof Error ? err.message : String(err);
      await this.loadStatus().catch(() => undefined);
    } finally {
      this.repairing = false;
    }
  }
  async loadFolders(): Promise<void> {
    this.folders = await this.client.call('folders.list', {});
  }
  async loadAlbums(): Promise<void> {
    this.albums = await this.client.call('albums.list', {});
  }
  async loadSettings(): Promise<void> {
    this.settings = await this.client.call('settings.get', {});
  }
  async loadRecent(): Promise<void> {
    // A convenience: if it cannot be read the app still starts, with no recent searches offered.
    this.recent = await this.client.call('search.recent', {}).catch(() => []);
  }
  async loadModels(): Promise<void> {
    const [models, upgrade] = await Promise.all([this.client.call('models.list', {}), this.client.call('models.upgrade', {})]);
    this.models = models;
    if (upgrade || this.upgrade?.state === 'running' || this.upgrade?.state === 'paused') this.upgrade = upgrade;
  }

  notify(message: string, kind: 'info' | 'error' = 'info'): void {
    this.toast = { message, kind };
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (this.toast = null), kind === 'error' ? 7000 : 3500);
  }

  /** Runs an action, turning a failure into a visible message instead of an unhandled rejection. */
  async guard<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      this.notify(`${what}: ${err instanceof Error ? err.message : String(err)}`, 'error');
      return undefined;
    }
  }

  // ---- navigation ----
  go(view: View): void {
    this.menu = null;
    this.pickMode = false;
    this.selection.clear();
    this.bulk.picker = false;
    // The search bar belongs to the search: browsing elsewhere starts from an empty bar.
    if (view.name !== 'search') {
      this.query = null;
      this.instruction = '';
    }
    if (view.name === 'library') {
      const folderId = view.folderId;
      const favourites = !!view.favourites;
      if (folderId !== this.libraryFolder || favourites !== this.libraryFavourites) this.library = this.makeLibrary(folderId, favourites);
      else this.library.refresh();
    }
    if (view.name === 'album') void this.openAlbum(view.id);
    this.view = view;
  }

  setSort(sort: 'date-desc' | 'date-asc' | 'name'): void {
    this.sort = sort;
    this.library = this.makeLibrary(this.libraryFolder, this.libraryFavourites);
  }

  // ---- folders ----
  async addFolder(path?: string): Promise<void> {
    if (path === undefined) {
      const picked = this.client.shell('shell.pickFolder', {});
      if (!picked) {
        this.addFolderError = null;
        this.addFolderDialog = true; // browser transport: type the path
        return;
      }
      const r = await picked;
      if (!r.path) return;
      path = r.path;
    } else {
      // Typed in the dialog: a bad path is explained next to the field.
      this.addFolderError = folderPathProblem(path);
      if (this.addFolderError) return;
    }
    const folder = await this.client.call('folders.add', { path, exclude: [] }).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (this.addFolderDialog) this.addFolderError = message;
      else this.notify(`Could not add the folder: ${message}`, 'error');
      return null;
    });
    if (folder) {
      this.addFolderDialog = false;
      this.addFolderError = null;
      this.notify(`Added ${folder.path}. Indexing starts now.`);
      await Promise.all([this.loadFolders(), this.loadStatus()]);
      this.go({ name: 'library', folderId: null });
      // The button that opened the dialog (the welcome screen's) is gone: searching is next.
      this.focusInstruction++;
    }
  }

  // ---- query photo / search ----
  setQueryPhoto(photo: Photo): void {
    this.query = { kind: 'library', photo };
    this.pickMode = false;
  }

  /** "Find related…": the photo becomes the query, the instruction field gets focus. */
  findRelated(photo: Photo): void {
    this.menu = null;
    this.viewer = null;
    this.setQueryPhoto(photo);
    this.instruction = '';
    // The results show this photo's neighbours at once (the header names the new query);
    // the instruction typed next refines them.
    void this.search();
    this.focusInstruction++;
  }

  async similar(photo: Photo): Promise<void> {
    this.menu = null;
    this.viewer = null;
    this.setQueryPhoto(photo);
    this.instruction = '';
    await this.search();
  }

  clearQuery(): void {
    this.query = null;
  }

  async search(more = false): Promise<void> {
    let kind: SearchKind;
    let params: Record<string, unknown>;
    if (more && this.lastSearch && this.result) {
      kind = this.lastSearch.kind;
      params = { ...this.lastSearch.params, offset: this.results.count };
    } else {
      const text = this.instruction.trim();
      const ref = this.query ? (this.query.kind === 'library' ? { id: this.query.photo.id } : { bytes: this.query.bytes, name: this.query.name }) : null;
      if (ref && text) {
        kind = 'compose';
        params = { photo: ref, instruction: text };
      } else if (ref) {
        kind = 'similar';
        params = { photo: ref };
      } else if (text) {
        kind = 'text';
        params = { text };
      } else {
        this.notify('Type what you are looking for, or choose a photo first.');
        return;
      }
      params = { ...params, limit: 60, offset: 0 };
      this.lastSearch = { kind, params };
    }
    this.searching = true;
    this.searchError = null;
    this.view = { name: 'search' };
    // A newer search may start before this one answers (Find related shows neighbours at once, the
    // instruction typed next refines them): only the latest one's answer is shown.
    const seq = ++this.searchSeq;
    try {
      const r = await this.client.call(`search.${kind}`, params as never);
      if (seq !== this.searchSeq) return;
      this.result = r;
      this.resultKind = kind;
      const hits: GridItem[] = r.hits.map((h) => ({ photo: h.photo, score: h.score }));
      if (more) this.results.items = [...this.results.items, ...hits];
      else this.results = new ArraySource(hits);
      this.announceResults(kind, r);
      if (!more) void this.remember(kind, params);
    } catch (err) {
      if (seq !== this.searchSeq) return;
      this.searchError = err instanceof Error ? err.message : String(err);
      if (/library damaged/.test(this.searchError)) void this.loadStatus().catch(() => undefined);
      if (!more) {
        this.result = null;
        this.results = new ArraySource();
      }
    } finally {
      if (seq === this.searchSeq) this.searching = false;
    }
  }

  /** Remembers a search the recent list can run again (a photo from outside the library cannot be). */
  private async remember(kind: SearchKind, params: Record<string, unknown>): Promise<void> {
    const photo = params.photo as { id?: number } | undefined;
    if (photo && photo.id === undefined) return;
    const text = kind === 'text' ? (params.text as string) : kind === 'compose' ? (params.instruction as string) : '';
    const list = await this.client.call('search.remember', { kind, photoId: photo?.id ?? null, text }).catch(() => null);
    if (list) this.recent = list;
  }

  /** Runs a recent search again: its photo and text go back into the search bar. */
  async rerun(r: RecentSearch): Promise<void> {
    if (r.kind !== 'text' && !r.photo) return;
    this.query = r.photo ? { kind: 'library', photo: r.photo } : null;
    this.instruction = r.text;
    await this.search();
  }

  async forgetRecent(r?: RecentSearch): Promise<void> {
    const key = r ? { kind: r.kind, photoId: r.photoId, text: r.text } : undefined;
    const list = await this.guard('Could not forget the search', () => this.client.call('search.forget', key ? { key } : {}));
    if (list) this.recent = list;
  }

  private announceResults(kind: SearchKind, r: SearchResult): void {
    const n = this.results.count;
    const what = kind === 'similar' ? `similar to ${r.queryPhoto?.name ?? 'the photo'}` : kind === 'compose' ? `for ${r.queryPhoto?.name ?? 'the photo'} + '${r.instruction ?? ''}'` : `for '${r.instruction ?? ''}'`;
    this.announcement = `${n} result${n === 1 ? '' : 's'} ${what}`;
  }

  /** The album query equivalent to the current search, or why there is none. */
  albumQueryForResult(): AlbumQuery | string {
    const r = this.result;
    if (!r) return 'Run a search first.';
    if (r.kind === 'text') return { kind: 'text', text: r.instruction ?? this.lastSearch?.params.text as string };
    if (!r.queryPhoto) return 'Smart albums need a query photo from the library.';
    if (r.kind === 'compose') return { kind: 'compose', photoId: r.queryPhoto.id, instruction: r.instruction ?? '' };
    return { kind: 'similar', photoId: r.queryPhoto.id };
  }

  async saveAlbum(name: string, n: number): Promise<void> {
    const q = this.albumQueryForResult();
    if (typeof q === 'string') return this.notify(q, 'error');
    const album = await this.guard('Could not save the album', () => this.client.call('albums.create', { name, query: q, rule: { kind: 'topN', n } }));
    if (!album) return;
    this.saveDialog = false;
    await this.loadAlbums();
    this.notify(`Saved smart album “${album.name}” (${album.count} photos).`);
  }

  async openAlbum(id: number, keepScroll = false): Promise<void> {
    const r = await this.guard('Could not open the album', () => this.client.call('albums.get', { id, offset: 0, limit: keepScroll ? Math.max(60, this.albumHits.count) : 120 }));
    if (!r) return;
    // A manual album's rows carry the time added, not a similarity: no score on its tiles.
    const hits = r.hits.map((h) => (r.album.kind === 'manual' ? { photo: h.photo } : { photo: h.photo, score: h.score }));
    // Same album refreshed live: keep the grid (and its scroll); another album: a fresh grid.
    if (keepScroll && this.album?.id === id) this.albumHits.items = hits;
    else this.albumHits = new ArraySource(hits);
    this.album = r.album;
    this.albumHasMore = r.hasMore;
  }

  async moreAlbum(): Promise<void> {
    if (!this.album) return;
    const id = this.album.id;
    const r = await this.guard('Could not load more', () => this.client.call('albums.get', { id, offset: this.albumHits.count, limit: 120 }));
    if (!r) return;
    this.albumHits.items = [...this.albumHits.items, ...r.hits.map((h) => (r.album.kind === 'manual' ? { photo: h.photo } : { photo: h.photo, score: h.score }))];
    this.albumHasMore = r.hasMore;
  }

  async renameAlbum(id: number, name: string): Promise<boolean> {
    const a = await this.guard('Could not rename the album', () => this.client.call('albums.update', { id, name }));
    if (!a) return false;
    await this.loadAlbums();
    if (this.album?.id === id) this.album = a;
    return true;
  }

  /** A manual album with the smart album's photos as they are now; opens it. */
  async freezeAlbum(id: number): Promise<void> {
    const a = await this.guard('Could not make a fixed copy', () => this.client.call('albums.freeze', { id }));
    if (!a) return;
    await this.loadAlbums();
    this.notify(`Made “${a.name}”: ${a.count} photos that stay as they are.`);
    this.go({ name: 'album', id: a.id });
  }

  async deleteAlbum(id: number): Promise<void> {
    const r = await this.guard('Could not delete the album', () => this.client.call('albums.delete', { id }));
    if (r?.deleted) {
      await this.loadAlbums();
      this.go({ name: 'library', folderId: null });
    }
  }

  // ---- photos ----
  /** Favourites changed: the hearts on search results and album tiles follow, and the library reloads. */
  favouritesChanged(ids: readonly number[], favourite: boolean): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup local to this call, never rendered
    const set = new Set(ids);
    for (const src of [this.results, this.albumHits]) {
      if (src.items.some((it) => set.has(it.photo.id))) src.items = src.items.map((it) => (set.has(it.photo.id) ? { ...it, photo: { ...it.photo, favourite } } : it));
    }
    if (this.result) this.result = { ...this.result, queryPhoto: this.result.queryPhoto && set.has(this.result.queryPhoto.id) ? { ...this.result.queryPhoto, favourite } : this.result.queryPhoto };
    this.library.refresh();
  }

  open(source: GridSource, index: number): void {
    this.menu = null;
    this.viewer = { source, index };
  }

  /** Right-click: the native menu in Electron, our own menu in a browser. */
  async contextMenu(photo: Photo, x: number, y: number, source: GridSource, index: number): Promise<void> {
    const native = this.client.shell('shell.photoMenu', { photoId: photo.id });
    if (!native) {
      this.menu = { photo, x, y, source, index };
      return;
    }
    const r = await native;
    if (r.action === 'find-related') this.findRelated(photo);
    else if (r.action === 'similar') await this.similar(photo);
    else if (r.action === 'open') this.open(source, index);
  }

  // ---- indexing ----
  async pauseResume(): Promise<void> {
    const paused = this.progress?.state === 'paused';
    const seen = this.progressEvents;
    const p = await this.guard(paused ? 'Could not resume' : 'Could not pause', () => this.client.call(paused ? 'index.resume' : 'index.pause', {}));
    // Events may overtake the reply (indexing can finish first): the newest word wins.
    if (p && this.progressEvents === seen) this.progress = p;
  }
}
