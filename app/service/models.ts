// Model management: which pack is active, switching to another (re-embedding the library), installs and removal.
import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type EventData, type EventSink, type ModelInfo, type ModelUpgrade, type Settings, type ValidParams } from '../api/contract.js';
import type { Indexer } from '../index/indexer.js';
import { catalogueInfos, type CatalogueInfo } from '../model/catalogue.js';
import { resolveSource } from '../model/install-inputs.js';
import { readPrecisionStatus } from '../model/int8.js';
import type { ModelRegistry, PackInfo } from '../model/registry.js';
import type { Db } from '../store/db.js';
import type { VectorStore } from '../store/vectors.js';
import type { ModelLanes } from './lanes.js';
import { dropModelVectors, ShadowIndex } from './model-upgrade.js';

type InstallPhase = EventData<'models.installProgress'>['phase'];

function packSize(p: PackInfo): number {
  if (!p.manifest) return 0;
  return Object.values(p.manifest.files).reduce((s, f) => s + f.bytes, 0);
}

export function modelInfos(registry: ModelRegistry, activeId: string | null): ModelInfo[] {
  return registry.list().map((p) => ({
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
    // float32 or int8 image tower for indexing, and why (app/index/precision.ts)
    imagePrecision: readPrecisionStatus(registry.dataDir, p.id),
  }));
}

/** Photos indexed under another model go back to pending for the active one (re-embedding). */
export function markStaleForActive(d: { db: Db; registry: ModelRegistry; vectors: VectorStore }, activeId: string | null): void {
  if (!activeId) return;
  const info = d.registry.list().find((p) => p.id === activeId);
  const dim = info?.manifest?.architecture.embedDim;
  if (!dim) return;
  const key = d.vectors.ensureModel(activeId, dim);
  d.db.prepare(`UPDATE photos SET status = 'pending' WHERE status = 'indexed' AND id NOT IN (SELECT rowid FROM vec_target_${key})`).run();
}

export interface ModelDeps {
  dataDir: string;
  db: Db;
  registry: ModelRegistry;
  vectors: VectorStore;
  lanes: ModelLanes;
  indexer: Pick<Indexer, 'stop' | 'restart' | 'kick' | 'pause' | 'isRunning' | 'isPaused' | 'hasWorkLeft'>;
  emit: EventSink;
  /** smart albums, re-scored in the new model's space once search has switched */
  albums?: { list(): { id: number }[]; refresh(id: number): Promise<void> };
  settings?: () => Settings;
  threads?: number;
}

/** Which model the library is being re-embedded for, kept across restarts. */
const UPGRADE_FILE = 'upgrade.json';

export class ModelManager {
  private readonly installs = new Map<string, AbortController>();
  private jobSeq = 0;
  private shadow: ShadowIndex | null = null;

  constructor(private readonly d: ModelDeps) {
    const pending = this.readUpgradeTarget();
    // an upgrade interrupted by a restart carries on (search kept the previous model meanwhile)
    if (pending && pending !== d.lanes.activeId && d.registry.list().some((p) => p.id === pending && !p.error)) queueMicrotask(() => void this.prepareSwitch(pending).catch(() => {}));
  }

  private get upgradeFile(): string {
    return path.join(this.d.registry.modelsDir, UPGRADE_FILE);
  }

  private readUpgradeTarget(): string | null {
    try {
      const j = JSON.parse(fs.readFileSync(this.upgradeFile, 'utf8')) as { targetId?: unknown };
      return typeof j.targetId === 'string' ? j.targetId : null;
    } catch {
      return null;
    }
  }

  upgrade(): ModelUpgrade | null {
    return this.shadow?.status() ?? null;
  }

  catalogue(): CatalogueInfo[] {
    const installed = new Set(this.d.registry.list().filter((p) => !p.error).map((p) => p.id));
    return catalogueInfos(installed, this.d.threads ?? this.d.settings?.().threads);
  }

  /** Whether search has vectors it would lose by switching at once. */
  private libraryIndexed(): boolean {
    return (this.d.db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'indexed'`).get() as { n: number }).n > 0;
  }

  /**
   * Makes `id` the model search will use: at once when nothing is indexed yet (or no model serves
   * search), otherwise after re-embedding the library in the background with the current model
   * still answering searches.
   */
  async prepareSwitch(id: string | null): Promise<void> {
    await this.stopUpgrade();
    const from = this.d.lanes.activeId;
    if (id === from) return;
    if (!id || !from || !this.libraryIndexed()) {
      await this.switchModel(id);
      return;
    }
    const info = this.d.registry.list().find((p) => p.id === id);
    // the serving model stays the persisted choice until the switch: a restart resumes the upgrade
    this.d.registry.setActive(from);
    fs.writeFileSync(this.upgradeFile, JSON.stringify({ targetId: id }) + '\n');
    const shadow = new ShadowIndex({
      db: this.d.db, vectors: this.d.vectors, registry: this.d.registry, settings: this.d.settings, threads: this.d.threads,
      indexerBusy: () => this.d.indexer.isRunning || this.d.indexer.hasWorkLeft(), indexerPaused: () => this.d.indexer.isPaused, emit: this.d.emit,
    }, from, { id, name: info?.name ?? id });
    this.shadow = shadow;
    this.d.emit('models.changed', { activeId: from });
    void shadow.start().then(
      (covered) => (covered && this.shadow === shadow ? this.finishUpgrade() : undefined),
      (err: unknown) => {
        // the new model cannot run here: search stays on the current one
        if (this.shadow === shadow) this.shadow = null;
        fs.rmSync(this.upgradeFile, { force: true });
        this.d.emit('models.installProgress', { jobId: 'upgrade', phase: 'error', done: 0, total: 0, message: `cannot re-index with ${id}: ${(err as Error).message}` });
      },
    );
  }

  /** Switches search to the model being prepared (covered, or forced by the user). */
  async finishUpgrade(): Promise<boolean> {
    const shadow = this.shadow;
    if (!shadow) return false;
    this.shadow = null;
    await shadow.stop();
    const from = shadow.fromId;
    this.d.registry.setActive(shadow.target.id);
    fs.rmSync(this.upgradeFile, { force: true });
    await this.switchModel(shadow.target.id);
    // only now, with search on the new model, do the previous model's vectors go
    if (from && from !== shadow.target.id) dropModelVectors(this.d.db, this.d.vectors, from);
    shadow.setState('switched');
    for (const a of this.d.albums?.list() ?? []) await this.d.albums!.refresh(a.id).catch(() => {});
    return true;
  }

  private async stopUpgrade(): Promise<void> {
    const s = this.shadow;
    this.shadow = null;
    if (!s) return;
    await s.stop();
    fs.rmSync(this.upgradeFile, { force: true });
    s.setState('cancelled');
  }

  infos(): ModelInfo[] {
    return modelInfos(this.d.registry, this.d.lanes.activeId);
  }

  /** Stops indexing, reopens the lanes on `id` and re-embeds what the new model has not seen. */
  async switchModel(id: string | null): Promise<void> {
    const { indexer, lanes } = this.d;
    // stopping the indexer resumes it; a user's "Pause indexing" must survive a settings change or a switch
    const paused = indexer.isPaused;
    await indexer.stop();
    await lanes.switchTo(id);
    markStaleForActive(this.d, id);
    indexer.restart();
    if (paused) indexer.pause();
    indexer.kick();
    this.d.emit('models.changed', { activeId: id });
  }

  /** Reopens the lanes on the same model (new ORT sessions after a settings change). */
  reopenLanes(): Promise<void> {
    return this.switchModel(this.d.lanes.activeId);
  }

  /**
   * Chooses an installed pack. Like an install, it goes through the background re-index: search
   * keeps answering with the current model until the new one's index covers the library (or the
   * user forces the switch with models.switchNow). Choosing the pack already being prepared leaves
   * that upgrade running; choosing the serving model cancels a pending upgrade.
   */
  async activate(id: string): Promise<ModelInfo> {
    const info = this.infos().find((m) => m.id === id);
    if (!info) throw new ApiError('not_found', `no model pack ${id}`);
    if (info.error) throw new ApiError('bad_input', `model pack ${id} is damaged: ${info.error}`);
    if (this.shadow?.target.id !== id) {
      this.d.registry.setActive(id); // the immediate path keeps this; prepareSwitch re-persists the serving model otherwise
      await this.prepareSwitch(id);
    }
    return this.infos().find((m) => m.id === id)!;
  }

  /** Starts an install job in the background; progress arrives as models.installProgress events. */
  install(p: ValidParams<'models.install'>): { jobId: string } {
    // one install at a time: two would race on the same downloads and the same pack folder
    if (this.installs.size > 0) throw new ApiError('conflict', 'a model install is already running; wait for it or cancel it');
    try {
      resolveSource('checkpoint', p.checkpoint);
      resolveSource('vocab', p.vocab);
    } catch (err) {
      throw new ApiError('bad_input', (err as Error).message);
    }
    const jobId = `install-${Date.now().toString(36)}-${++this.jobSeq}`;
    const ac = new AbortController();
    this.installs.set(jobId, ac);
    void this.runInstall(jobId, ac.signal, p).finally(() => this.installs.delete(jobId));
    return { jobId };
  }

  private async runInstall(jobId: string, signal: AbortSignal, { checkpoint, vocab, name }: ValidParams<'models.install'>): Promise<void> {
    const progress = (phase: string, done: number, total: number, message: string | null, extra: { ratePerSec?: number; etaSec?: number | null; failure?: string } = {}) =>
      this.d.emit('models.installProgress', { jobId, phase: phase as InstallPhase, done, total, message, ...extra });
    try {
      // Loaded on demand: the converter is only needed while installing.
      const { installOfficialModel } = await import('../model/install.js');
      const r = await installOfficialModel({
        dataDir: this.d.dataDir,
        checkpoint,
        vocab,
        ...(name ? { name } : {}),
        signal,
        onProgress: (q) => progress(q.phase, q.done, q.total, q.message ?? null, q.ratePerSec !== undefined ? { ratePerSec: q.ratePerSec, etaSec: q.etaSec ?? null } : {}),
      });
      progress('done', 1, 1, `installed ${r.id}`);
      // A newly installed real model becomes the active one unless the user chose one
      // (the registry's rule); the library is then re-embedded with it in the background.
      const next = this.d.registry.active();
      const activeId = this.d.lanes.activeId;
      if (r.id === activeId) await this.switchModel(next); // re-installed in place: reopen it
      else if (next !== activeId) await this.prepareSwitch(next);
      else this.d.emit('models.changed', { activeId });
    } catch (err) {
      const kind = (err as { kind?: unknown }).kind;
      progress('error', 0, 0, (err as Error).message, typeof kind === 'string' ? { failure: kind } : {});
    }
  }

  cancelInstall(jobId: string): { cancelled: boolean } {
    const ac = this.installs.get(jobId);
    if (!ac) return { cancelled: false };
    ac.abort();
    return { cancelled: true };
  }

  async remove(id: string): Promise<{ removed: boolean }> {
    const info = this.infos().find((m) => m.id === id);
    if (!info) return { removed: false };
    if (info.bundled) throw new ApiError('bad_input', `${id} ships with the app and cannot be removed`);
    try {
      this.d.registry.remove(id);
    } catch (err) {
      throw new ApiError('bad_input', (err as Error).message);
    }
    if (this.shadow?.target.id === id) await this.stopUpgrade();
    if (id === this.d.lanes.activeId) await this.prepareSwitch(this.d.registry.active());
    else this.d.emit('models.changed', { activeId: this.d.lanes.activeId });
    return { removed: true };
  }

  /** Aborts every running install and pauses a running upgrade (on close; it resumes on restart). */
  abortInstalls(): Promise<void> {
    for (const ac of this.installs.values()) ac.abort();
    const s = this.shadow;
    this.shadow = null;
    return s ? s.stop() : Promise.resolve();
  }
}

