// Model lanes: the interactive lane (queries) and the bulk lane (indexing), opened lazily for the active pack.
//
// Two lanes with separate ORT sessions: the bulk lane runs the indexer's image batches, the
// interactive lane runs queries (text tower, fusion head, the odd non-library query photo). A query
// therefore never waits for an indexing batch to finish (a base-size batch of 8 takes ~2 s on
// 2 cores); the cost is a second copy of the graphs in memory (~0.7 GB for base), which is only
// paid while the bulk lane is actually needed.
import { ApiError, type Settings } from '../api/contract.js';
import { openBulkLane, type Embedder } from '../index/bulk-lane.js';
import { bulkImageOptions } from '../index/precision.js';
import { specFromManifest, type PreprocessSpec } from '../media/preprocess.js';
import { graphCacheDir } from '../model/graph-cache.js';
import type { ModelPack } from '../model/pack.js';
import type { ModelRegistry } from '../model/registry.js';
import { MagicLensRuntime } from '../model/runtime.js';
import type { ModelLane } from '../search/search.js';
import type { VectorStore } from '../store/vectors.js';

/** The bulk lane: image tower + fusion head in a worker thread. */
export interface BulkLane {
  embedder: Embedder;
  spec: PreprocessSpec;
  key: number;
}

export interface LaneDeps {
  registry: ModelRegistry;
  vectors: VectorStore;
  settings: () => Settings;
  /** Overrides the bulk lane's thread count from the settings. */
  threads?: number;
  /** How long an idle bulk lane keeps its model loaded. */
  bulkIdleMs?: number;
  /** Up to n library photos, for the int8 self-check (app/index/precision.ts). */
  photoPaths?: (n: number) => string[];
}

const BULK_IDLE_MS = 60_000;
/** How long a replaced interactive lane stays open for the queries already running on it. */
const RETIRE_MS = 10_000;

async function openInteractive(d: LaneDeps, pack: ModelPack): Promise<{ lane: ModelLane; provider: string }> {
  const s = d.settings();
  // One thread: queries are small (text tower, fusion head) and must not fight the bulk lane for every core.
  // The tokenizer in a worker: built while the sessions open (app/model/token-source.ts).
  const rt = await MagicLensRuntime.open(pack, { threads: 1, providers: [...s.providers], graphCacheDir: graphCacheDir(d.registry.dataDir), tokenizerWorker: true });
  const key = d.vectors.ensureModel(rt.modelId, rt.dim);
  return { lane: { rt, key, spec: specFromManifest(pack.manifest) }, provider: rt.provider };
}

async function openBulk(d: LaneDeps, pack: ModelPack, emptyText?: Float32Array): Promise<BulkLane> {
  const s = d.settings();
  // float32 or the int8 twin: the self-check's verdict, the setting, and the store's pin decide
  const image = await bulkImageOptions(pack, { dataDir: d.registry.dataDir, setting: s.imagePrecision, vectors: d.vectors, threads: d.threads ?? s.threads, ...(d.photoPaths ? { photoPaths: d.photoPaths } : {}) });
  const embedder = await openBulkLane(pack, { threads: d.threads ?? s.threads, providers: [...s.providers], graphCacheDir: graphCacheDir(d.registry.dataDir), ...image, ...(emptyText ? { emptyText } : {}) });
  const key = d.vectors.ensureModel(embedder.modelId, embedder.dim);
  return { embedder, key, spec: specFromManifest(pack.manifest) };
}

export class ModelLanes {
  private active: string | null;
  private providerName: string | null = null;
  // A pack is loaded (checked against its verified stamp; hashed in full only when it has none) once
  // per service, not once per lane.
  private readonly packs = new Map<string, Promise<ModelPack>>();
  private interactiveP: Promise<ModelLane> | null = null;
  private bulkP: Promise<BulkLane> | null = null;
  private bulkOpen: BulkLane | null = null;
  private bulkIdleTimer: NodeJS.Timeout | null = null;
  private readonly retired = new Map<NodeJS.Timeout, () => Promise<void>>();

  constructor(private readonly d: LaneDeps, activeId: string | null) {
    this.active = activeId;
  }

  get activeId(): string | null {
    return this.active;
  }

  /** The execution provider the lanes run on, once one has opened. */
  get provider(): string | null {
    return this.providerName;
  }

  private packFor(id: string): Promise<ModelPack> {
    let p = this.packs.get(id);
    if (!p) {
      p = this.d.registry.get(id);
      this.packs.set(id, p);
      p.catch(() => this.packs.delete(id));
    }
    return p;
  }

  interactive(): Promise<ModelLane> {
    let p = this.interactiveP;
    if (!p) {
      const id = this.active;
      p = this.openInteractiveFor(id).catch((err: unknown) => {
        if (err instanceof ApiError) throw err;
        throw new ApiError('unavailable', `model ${id} cannot be loaded: ${(err as Error).message}`);
      });
      this.interactiveP = p;
      p.catch(() => {
        if (this.interactiveP === p) this.interactiveP = null; // retry on the next call
      });
    }
    return p;
  }

  private async openInteractiveFor(id: string | null): Promise<ModelLane> {
    if (!id) throw new ApiError('unavailable', 'no model pack installed: run `magiclens model install` or install one in Settings');
    const { lane, provider } = await openInteractive(this.d, await this.packFor(id));
    this.providerName = provider;
    return lane;
  }

  bulk(): Promise<BulkLane> {
    if (this.bulkOpen && !this.bulkOpen.embedder.alive) {
      // Its worker died (crash, out of memory): start a fresh one; the photos stayed pending.
      this.bulkP = null;
      this.bulkOpen = null;
    }
    // After an idle release: start reopening the image tower now, while the first batch decodes.
    if (this.bulkOpen && !this.bulkOpen.embedder.imageOpen) void this.bulkOpen.embedder.wake().catch(() => {});
    let p = this.bulkP;
    if (!p) {
      p = this.openBulkFor(this.active).then((l) => (this.bulkOpen = l));
      this.bulkP = p;
      p.catch(() => {
        if (this.bulkP === p) this.bulkP = null;
      });
    }
    return p;
  }

  private async openBulkFor(id: string | null): Promise<BulkLane> {
    if (!id) throw new ApiError('unavailable', 'no model pack installed');
    const pack = await this.packFor(id);
    const lane = await openBulk(this.d, pack, await this.emptyTextFor(pack));
    this.providerName ??= lane.embedder.provider;
    return lane;
  }

  /**
   * e_text("") from the interactive lane, so the bulk lane opens no text tower of its own (base: ~350 MB
   * less while indexing). Without a usable interactive lane the bulk lane computes it itself.
   */
  private async emptyTextFor(pack: ModelPack): Promise<Float32Array | undefined> {
    try {
      const { rt } = await this.interactive();
      return rt.modelId === pack.manifest.id && rt.pack.dir === pack.dir ? await rt.emptyTextEmbedding() : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The bulk lane's image tower is most of its memory (base: ~370 MiB): free it after a quiet minute
   * unless `busy()` says indexing picked up again. The worker, its fusion head (base: ~90 MiB) and
   * e_text("") stay, so the next run reopens only the image tower, from the cached graph (whole-lane
   * reopen measured 1.4-3.2 s on a base pack; the image tower alone ~0.3-0.6 s).
   */
  releaseBulkWhenIdle(busy: () => boolean): void {
    if (this.bulkIdleTimer) clearTimeout(this.bulkIdleTimer);
    this.bulkIdleTimer = setTimeout(() => {
      this.bulkIdleTimer = null;
      if (busy()) return;
      if (this.bulkP) void this.bulkP.then((l) => l.embedder.idle()).catch(() => {});
    }, this.d.bulkIdleMs ?? BULK_IDLE_MS);
    this.bulkIdleTimer.unref();
  }

  /** Closes both lanes and makes `id` the model the next lanes open (packs are read again). */
  async switchTo(id: string | null): Promise<void> {
    await this.closeLanes(true);
    this.packs.clear(); // a re-installed pack with the same id must be read again
    this.active = id;
    this.providerName = null;
  }

  async close(): Promise<void> {
    if (this.bulkIdleTimer) clearTimeout(this.bulkIdleTimer);
    this.bulkIdleTimer = null;
    for (const [t, close] of this.retired) {
      clearTimeout(t);
      await close();
    }
    this.retired.clear();
    await this.closeLanes();
  }

  /**
   * A query that took the interactive lane just before a switch (model change, settings reopen)
   * still runs on its sessions: closing them at once fails it with "Session already disposed".
   * New queries open the new lane; the old one is closed once such queries are long done
   * (interactive runs take milliseconds).
   */
  private retire(lane: Promise<ModelLane>): void {
    const close = () => lane.then((l) => l.rt.close()).catch(() => {});
    const t = setTimeout(() => {
      this.retired.delete(t);
      void close();
    }, RETIRE_MS);
    t.unref();
    this.retired.set(t, close);
  }

  private async closeLanes(retire = false): Promise<void> {
    const i = this.interactiveP;
    const b = this.bulkP;
    this.interactiveP = null;
    this.bulkP = null;
    this.bulkOpen = null;
    if (i && retire) this.retire(i);
    else if (i) await i.then((l) => l.rt.close()).catch(() => {});
    if (b) await b.then((l) => l.embedder.close()).catch(() => {});
  }
}
