// The indexing pipeline: pending photos → read (once) → verify hash → decode (once) → metadata +
// thumbnail + model input (preprocess) → image tower (batched) → fusion head with e_text("")
// → one transaction per batch (vectors, status, metadata, album membership). Decoding the next
// batch overlaps inference of the current one. Failures are per file and stored as data.
//
// Crash safety: a photo becomes 'indexed' in the same transaction that writes its vectors and
// album rows, and pending work is re-read from the table, so after a SIGKILL a restart simply
// continues; vec0 rows are replaced (delete + insert), never duplicated.
import fs from 'node:fs';
import type { IndexProgress } from '../api/contract.js';
import type { Db } from '../store/db.js';
import type { PhotoMeta, PhotoRepo, PhotoRow } from '../store/photos.js';
import type { VectorStore } from '../store/vectors.js';
import { hashBuffer } from '../library/hash.js';
import { fsReason, unchangedSinceScan } from '../library/walk.js';
import { DecodeError } from '../media/decode.js';
import { ingestImage } from '../media/ingest.js';
import type { PreprocessSpec } from '../media/preprocess.js';
import { saveThumb, thumbPath } from '../media/thumbs.js';
import type { Embedder } from './bulk-lane.js';
import { RateMeter } from './progress.js';

/** Files above this size are refused rather than read into memory (no photo format needs it). */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
const FIRST_BATCH = 2;

export interface IndexedItem {
  id: number;
  clip: Float32Array;
  target: Float32Array;
}

export interface IndexerDeps {
  db: Db;
  photos: PhotoRepo;
  vectors: VectorStore;
  dataDir: string;
  /** The bulk lane (its own ORT sessions in a worker thread); null = no model. */
  runtime(): Promise<{ embedder: Embedder; spec: PreprocessSpec; key: number } | null>;
  /** Called inside each batch transaction with the photos that just got vectors. */
  onIndexed(items: IndexedItem[]): void;
  /** After each batch commit. */
  onBatchCommitted(ids: number[]): void;
  emitProgress(p: IndexProgress): void;
  /** A run ended with nothing more to do (the service may release the bulk lane). */
  onIdle?(): void;
  batchSize?: number;
  decodeConcurrency?: number;
}

type Prepared =
  | { kind: 'ok'; row: PhotoRow; hash: string; meta: PhotoMeta; pixels: Float32Array }
  | { kind: 'copy'; row: PhotoRow; hash: string; meta: PhotoMeta; from: number }
  | { kind: 'error'; row: PhotoRow; reason: string; hash?: string; size?: number }
  | { kind: 'skip'; row: PhotoRow };

export class Indexer {
  private running: Promise<void> | null = null;
  private again = false;
  private paused = false;
  private resumeWaiters: (() => void)[] = [];
  private stopped = false;
  private state: IndexProgress['state'] = 'idle';
  private done = 0;
  private failed = 0;
  private total = 0;
  private current: string | null = null;
  private modelId: string | null = null;
  private meter = new RateMeter();
  private lastEmit = 0;
  private skipped = new Set<number>();
  scanning = false;
  private noModel = false;
  private laneFailures = 0;
  /** Why the last run stopped early (the bulk lane failed), for diagnostics. */
  lastError: string | null = null;
  readonly batchSize: number;
  private readonly decodeConcurrency: number;

  constructor(private readonly d: IndexerDeps) {
    this.batchSize = d.batchSize ?? 8;
    this.decodeConcurrency = d.decodeConcurrency ?? 4;
  }

  progress(): IndexProgress {
    const rate = this.meter.value;
    const remaining = Math.max(0, this.total - this.done - this.failed);
    return {
      state: this.paused ? 'paused' : this.running ? 'indexing' : this.scanning ? 'scanning' : 'idle',
      done: this.done,
      total: this.total,
      failed: this.failed,
      ratePerSec: Number.isFinite(rate) ? Math.max(0, rate) : 0,
      etaSec: rate > 0 && this.running ? remaining / rate : null,
      current: this.current,
      modelId: this.modelId,
    };
  }

  private emit(force = false): void {
    const now = Date.now();
    if (!force && now - this.lastEmit < 250) return;
    this.lastEmit = now;
    this.d.emitProgress(this.progress());
  }

  setScanning(v: boolean): void {
    this.scanning = v;
    this.emit(true);
  }

  /** There may be new pending photos: start (or continue) indexing. */
  kick(): void {
    if (this.stopped) return;
    this.skipped.clear();
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop()
      .then(
        () => {
          this.laneFailures = 0;
        },
        (err: unknown) => {
          // The bulk lane died under us; its batch stayed pending. Up to three fresh starts in a
          // row, then wait for the next kick (a lane that keeps dying must not spin forever).
          this.laneFailures++;
          this.lastError = (err as Error).message;
          if (this.laneFailures < 3) this.again = true;
        },
      )
      .finally(() => {
      this.running = null;
      this.current = null;
      this.emit(true);
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      } else {
        this.d.onIdle?.();
      }
    });
  }

  pause(): IndexProgress {
    this.paused = true;
    this.emit(true);
    return this.progress();
  }

  resume(): IndexProgress {
    this.paused = false;
    for (const w of this.resumeWaiters.splice(0)) w();
    this.emit(true);
    return this.progress();
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Let a stopped indexer run again (after a model switch). */
  restart(): void {
    this.stopped = false;
    this.done = 0;
    this.failed = 0;
    this.total = 0;
    this.meter.reset();
  }

  /** Pending photos this indexer could still process (false without a model). */
  hasWorkLeft(): boolean {
    if (this.stopped || this.noModel || this.laneFailures >= 3) return false;
    return this.d.photos.pendingIds(this.skipped.size + 1).some((id) => !this.skipped.has(id));
  }

  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.resume();
    await this.whenIdle();
  }

  private async loop(): Promise<void> {
    const model = await this.d.runtime();
    this.noModel = !model;
    if (!model) return;
    this.modelId = model.embedder.modelId;
    let cursor = 0;
    const nextIds = (size = this.batchSize): number[] => {
      for (;;) {
        const raw = this.d.photos.pendingIds(size * 2, cursor);
        if (raw.length === 0) return [];
        const ids = raw.filter((id) => !this.skipped.has(id)).slice(0, size);
        if (ids.length > 0) {
          cursor = ids[ids.length - 1]!;
          return ids;
        }
        cursor = raw[raw.length - 1]!; // a window of skipped rows: look further
      }
    };
    const refreshTotal = () => {
      this.total = this.done + this.failed + this.d.photos.countByStatus().pending - this.skipped.size;
    };
    // A small first batch: nothing overlaps its decoding, so the tower starts after two photos
    // instead of a whole batch (~0.3 s sooner for 12-MP JPEGs here)
    const ids = nextIds(Math.min(this.batchSize, FIRST_BATCH));
    if (ids.length === 0) return;
    if (this.done + this.failed >= this.total) {
      // A new run: counters restart (done/total describe this run, not the whole library).
      this.done = 0;
      this.failed = 0;
      this.meter.reset();
    }
    this.meter.start();
    refreshTotal();
    let prep = this.prepare(ids, model.spec, model.key);
    for (;;) {
      if (this.paused) await new Promise<void>((r) => this.resumeWaiters.push(r));
      if (this.stopped) {
        await prep.catch(() => []);
        return;
      }
      const batch = await prep;
      let next = nextIds();
      if (next.length === 0 && batch.length === 0) {
        // End of the table: start over once in case earlier ids went pending meanwhile.
        cursor = 0;
        next = nextIds();
        if (next.length === 0) return;
      }
      prep = next.length > 0 ? this.prepare(next, model.spec, model.key) : Promise.resolve([]);
      if (batch.length > 0) await this.inferAndCommit(batch, model.embedder, model.key);
      refreshTotal();
      this.emit();
    }
  }

  private async prepare(ids: number[], spec: PreprocessSpec, key: number): Promise<Prepared[]> {
    const rows = [...this.d.photos.byIds(ids).values()].filter((r) => r.status === 'pending');
    const out: Prepared[] = new Array(rows.length);
    let i = 0;
    const worker = async () => {
      while (i < rows.length) {
        const k = i++;
        const row = rows[k]!;
        this.current = row.path;
        out[k] = await this.prepareOne(row, spec, key);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.decodeConcurrency, rows.length) }, worker));
    return out;
  }

  private async prepareOne(row: PhotoRow, spec: PreprocessSpec, key: number): Promise<Prepared> {
    let buf: Buffer;
    let unchanged: boolean;
    try {
      const st = await fs.promises.stat(row.path);
      if (st.size > MAX_FILE_BYTES) return { kind: 'error', row, reason: `file too large (${st.size} bytes)` };
      unchanged = unchangedSinceScan(row, st);
      buf = await fs.promises.readFile(row.path, { flag: 'r' });
    } catch (err) {
      // Vanished since the scan (a move in progress): leave it to the library's reconcile.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'skip', row };
      return { kind: 'error', row, reason: fsReason(err) };
    }
    // Size and mtime as the scan saw them: its hash stands (the rescan's own rule), sparing a second
    // SHA-256 of every photo (~3 ms of CPU per 12-MP JPEG, beside the image tower).
    const hash = unchanged && buf.length === row.size ? row.hash : hashBuffer(buf);
    // Same content already embedded under this model (a duplicate file): copy, do not recompute.
    if (hash === row.hash) {
      const twin = this.d.photos.withHash(hash).find((r) => r.id !== row.id && r.status === 'indexed' && this.d.vectors.has(key, r.id));
      if (twin) {
        return { kind: 'copy', row, hash, from: twin.id, meta: { width: twin.width, height: twin.height, takenAt: twin.taken_at, camera: twin.camera, format: twin.format, orientation: twin.orientation } };
      }
    }
    try {
      // One decode per photo for thumbnail + model input (app/media/ingest.ts); the full-size pixels
      // live only inside this call, so decodeConcurrency bounds how many are held at once.
      const img = await ingestImage(buf, spec, { thumb: !fs.existsSync(thumbPath(this.d.dataDir, hash)) });
      if (img.thumb) await saveThumb(this.d.dataDir, hash, img.thumb);
      return { kind: 'ok', row, hash, meta: img.meta, pixels: img.pixels };
    } catch (err) {
      const reason = err instanceof DecodeError ? err.message : `cannot decode: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
      return { kind: 'error', row, reason, hash, size: buf.length };
    }
  }

  private async inferAndCommit(batch: Prepared[], rt: Embedder, key: number): Promise<void> {
    const ok = batch.filter((p): p is Extract<Prepared, { kind: 'ok' }> => p.kind === 'ok');
    const vecs = new Map<number, { clip: Float32Array; target: Float32Array }>();
    const modelErrors = new Map<number, string>();
    if (ok.length > 0) {
      try {
        const r = await this.embed(rt, ok.map((p) => p.pixels));
        ok.forEach((p, j) => vecs.set(p.row.id, { clip: r.clip[j]!, target: r.target[j]! }));
      } catch (batchErr) {
        // The lane itself died (worker crash, out of memory): not the photos' fault. Stop; the
        // rows stay pending and the next run reopens the lane.
        if (!rt.alive) throw batchErr;
        // One bad input must not sink the batch: retry one by one to find it.
        for (const p of ok) {
          try {
            const r = await this.embed(rt, [p.pixels]);
            vecs.set(p.row.id, { clip: r.clip[0]!, target: r.target[0]! });
          } catch (err) {
            if (!rt.alive) throw err;
            modelErrors.set(p.row.id, `model failed: ${(err as Error).message.split('\n')[0]}`);
          }
        }
      }
    }
    const indexed: IndexedItem[] = [];
    let nDone = 0;
    let nFailed = 0;
    const committed: number[] = [];
    this.d.db.transaction(() => {
      for (const p of batch) {
        const cur = this.d.photos.get(p.row.id);
        // Moved, deleted or changed while we worked: the row is no longer what we processed.
        if (!cur || cur.status !== 'pending' || cur.path !== p.row.path || cur.hash !== p.row.hash) continue;
        if (p.kind === 'skip') {
          this.skipped.add(p.row.id);
          continue;
        }
        if (p.kind === 'error') {
          this.d.photos.setError(cur.id, p.reason, p.hash !== undefined ? { hash: p.hash, size: p.size ?? cur.size, mtimeMs: cur.mtime_ms } : undefined);
          nFailed++;
          committed.push(cur.id);
          continue;
        }
        if (p.hash !== cur.hash) {
          // Content changed after the scan hashed it: keep the row (same path), new identity.
          this.d.photos.resetContent(cur.id, { hash: p.hash, size: cur.size, mtimeMs: cur.mtime_ms, folderId: cur.folder_id });
        }
        let v: { clip: Float32Array; target: Float32Array } | undefined;
        if (p.kind === 'copy') {
          const clip = this.d.vectors.get(key, 'clip', p.from);
          const target = this.d.vectors.get(key, 'target', p.from);
          if (clip && target) v = { clip, target };
        } else {
          v = vecs.get(cur.id);
        }
        if (!v) {
          this.d.photos.setError(cur.id, modelErrors.get(cur.id) ?? 'embedding missing');
          nFailed++;
          committed.push(cur.id);
          continue;
        }
        this.d.vectors.put(key, 'clip', cur.id, v.clip);
        this.d.vectors.put(key, 'target', cur.id, v.target);
        this.d.photos.setIndexed(cur.id, p.meta);
        indexed.push({ id: cur.id, clip: v.clip, target: v.target });
        committed.push(cur.id);
        nDone++;
      }
      if (indexed.length > 0) this.d.onIndexed(indexed);
    })();
    this.done += nDone;
    this.failed += nFailed;
    this.meter.tick(nDone + nFailed);
    if (committed.length > 0) this.d.onBatchCommitted(committed);
  }

  private async embed(rt: Embedder, inputs: Float32Array[]): Promise<{ clip: Float32Array[]; target: Float32Array[] }> {
    const n = inputs.length;
    const per = inputs[0]!.length;
    const pixels = new Float32Array(n * per);
    inputs.forEach((x, j) => pixels.set(x, j * per));
    const { clip, target } = await rt.embed(pixels, n);
    const D = rt.dim;
    const split = (a: Float32Array) => Array.from({ length: n }, (_, j) => a.slice(j * D, (j + 1) * D));
    return { clip: split(clip), target: split(target) };
  }
}
