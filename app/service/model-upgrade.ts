// Re-embedding the library with a newly installed (or chosen) model in the background while search
// keeps answering with the current one: the new model's vectors go into its own tables (the store
// keys vectors per model), photo status is left alone, and the switch happens once the new index
// covers every indexed photo (or when the user forces it; ModelManager does the switch).
//
// It runs only while the regular indexer is idle (new photos are indexed with the serving model
// first and picked up here afterwards) and obeys its pause, so "Pause indexing" pauses it too.
import fs from 'node:fs';
import type { EventSink, ModelUpgrade, Settings } from '../api/contract.js';
import { openBulkLane, type Embedder } from '../index/bulk-lane.js';
import { RateMeter } from '../index/progress.js';
import { hashBuffer } from '../library/hash.js';
import { ingestImage } from '../media/ingest.js';
import { specFromManifest, type PreprocessSpec } from '../media/preprocess.js';
import { graphCacheDir } from '../model/graph-cache.js';
import type { ModelRegistry } from '../model/registry.js';
import type { Db } from '../store/db.js';
import type { VectorStore } from '../store/vectors.js';

export interface UpgradeDeps {
  db: Db;
  vectors: VectorStore;
  registry: ModelRegistry;
  settings?: () => Settings;
  threads?: number;
  /** the regular indexer has work in hand (it goes first) / the user paused indexing */
  indexerBusy: () => boolean;
  indexerPaused: () => boolean;
  emit: EventSink;
  batchSize?: number;
}

const IDLE_POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row { id: number; path: string; hash: string }

export class ShadowIndex {
  private stopped = false;
  private run: Promise<boolean> | null = null;
  private state: ModelUpgrade['state'] = 'running';
  private done = 0;
  private total = 0;
  private readonly meter = new RateMeter();
  private lastEmit = 0;
  /** unreadable now (moved, changed, undecodable): left to the regular indexer, not waited for */
  private readonly skipped = new Set<number>();

  constructor(
    private readonly d: UpgradeDeps,
    readonly fromId: string | null,
    readonly target: { id: string; name: string },
  ) {}

  /** Resolves true when the new index covers the library, false when stopped first. */
  start(): Promise<boolean> {
    this.run ??= this.loop();
    return this.run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.run?.catch(() => false);
  }

  status(): ModelUpgrade {
    const rate = this.meter.value;
    const left = Math.max(0, this.total - this.done);
    return {
      state: this.state, fromId: this.fromId, targetId: this.target.id, targetName: this.target.name,
      done: this.done, total: this.total, ratePerSec: rate, etaSec: rate > 0 ? left / rate : null,
    };
  }

  setState(s: ModelUpgrade['state']): void {
    this.state = s;
    this.emit(true);
  }

  private emit(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastEmit < 250) return;
    this.lastEmit = now;
    this.d.emit('models.upgrade', this.status());
  }

  private counts(key: number): { total: number; missing: number } {
    const total = (this.d.db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'indexed'`).get() as { n: number }).n;
    const missing = (this.d.db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'indexed' AND id NOT IN (SELECT rowid FROM vec_target_${key})`).get() as { n: number }).n;
    return { total, missing };
  }

  private async loop(): Promise<boolean> {
    const pack = await this.d.registry.get(this.target.id);
    const key = this.d.vectors.ensureModel(pack.manifest.id, pack.manifest.architecture.embedDim);
    // say what is about to happen before the model loads (seconds for a large one)
    const c = this.counts(key);
    this.total = c.total;
    this.done = c.total - c.missing;
    this.state = this.d.indexerPaused() ? 'paused' : 'running';
    this.emit(true);
    const s = this.d.settings?.();
    const embedder = await openBulkLane(pack, { threads: this.d.threads ?? s?.threads ?? 1, providers: [...(s?.providers ?? ['cpu'])], graphCacheDir: graphCacheDir(this.d.registry.dataDir) });
    try {
      if (embedder.modelId !== pack.manifest.id || embedder.dim !== pack.manifest.architecture.embedDim) throw new Error(`the bulk lane opened ${embedder.modelId}, not ${pack.manifest.id}`);
      return await this.embedAll(embedder, key, specFromManifest(pack.manifest));
    } finally {
      await embedder.close().catch(() => {});
    }
  }

  private async embedAll(embedder: Embedder, key: number, spec: PreprocessSpec): Promise<boolean> {
    const batch = this.d.batchSize ?? 8;
    let cursor = 0;
    this.meter.start();
    for (;;) {
      if (this.stopped) return false;
      const c = this.counts(key);
      this.total = c.total;
      this.done = c.total - c.missing;
      if (c.missing <= this.skipped.size) return true;
      const paused = this.d.indexerPaused();
      if (paused !== (this.state === 'paused')) this.setState(paused ? 'paused' : 'running');
      if (paused || this.d.indexerBusy()) {
        this.emit();
        await sleep(IDLE_POLL_MS);
        continue;
      }
      const rows = (this.d.db.prepare(`SELECT id, path, hash FROM photos WHERE status = 'indexed' AND id > ? AND id NOT IN (SELECT rowid FROM vec_target_${key}) ORDER BY id LIMIT ?`).all(cursor, batch * 2) as Row[])
        .filter((r) => !this.skipped.has(r.id)).slice(0, batch);
      if (rows.length === 0) {
        cursor = 0;
        continue;
      }
      cursor = rows[rows.length - 1]!.id;
      const n = await this.embedBatch(rows, embedder, key, spec);
      this.meter.tick(n);
      this.emit();
    }
  }

  private async embedBatch(rows: Row[], embedder: Embedder, key: number, spec: PreprocessSpec): Promise<number> {
    const ready: { row: Row; pixels: Float32Array }[] = [];
    for (const row of rows) {
      try {
        const buf = await fs.promises.readFile(row.path);
        // changed since it was indexed: the library's rescan re-queues it; not ours to judge
        if (hashBuffer(buf) !== row.hash) throw new Error('changed');
        ready.push({ row, pixels: (await ingestImage(buf, spec, { thumb: false })).pixels });
      } catch {
        this.skipped.add(row.id);
      }
    }
    if (ready.length === 0) return 0;
    const per = ready[0]!.pixels.length;
    const pixels = new Float32Array(ready.length * per);
    ready.forEach((r, j) => pixels.set(r.pixels, j * per));
    const { clip, target } = await embedder.embed(pixels, ready.length);
    const D = embedder.dim;
    const still = this.d.db.prepare(`SELECT 1 FROM photos WHERE id = ? AND status = 'indexed' AND hash = ?`);
    this.d.db.transaction(() => {
      ready.forEach(({ row }, j) => {
        if (!still.get(row.id, row.hash)) return; // removed or changed while we worked
        this.d.vectors.put(key, 'clip', row.id, clip.slice(j * D, (j + 1) * D));
        this.d.vectors.put(key, 'target', row.id, target.slice(j * D, (j + 1) * D));
      });
    })();
    return ready.length;
  }
}

/** The previous model's vectors go once search has switched away from it (its tables and its key). */
export function dropModelVectors(db: Db, vectors: VectorStore, modelId: string): void {
  const key = vectors.modelKey(modelId);
  if (key === undefined) return;
  db.transaction(() => {
    for (const kind of ['clip', 'target'] as const) db.exec(`DROP TABLE IF EXISTS vec_${kind}_${key}`);
    db.prepare('DELETE FROM models WHERE key = ?').run(key);
  })();
}
