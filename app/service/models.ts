// Model management: which pack is active, switching to another (re-embedding the library), installs and removal.
import { ApiError, type EventData, type EventSink, type ModelInfo, type ValidParams } from '../api/contract.js';
import type { Indexer } from '../index/indexer.js';
import { resolveSource } from '../model/install-inputs.js';
import type { ModelRegistry, PackInfo } from '../model/registry.js';
import type { Db } from '../store/db.js';
import type { VectorStore } from '../store/vectors.js';
import type { ModelLanes } from './lanes.js';

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
  indexer: Pick<Indexer, 'stop' | 'restart' | 'kick'>;
  emit: EventSink;
}

export class ModelManager {
  private readonly installs = new Map<string, AbortController>();
  private jobSeq = 0;

  constructor(private readonly d: ModelDeps) {}

  infos(): ModelInfo[] {
    return modelInfos(this.d.registry, this.d.lanes.activeId);
  }

  /** Stops indexing, reopens the lanes on `id` and re-embeds what the new model has not seen. */
  async switchModel(id: string | null): Promise<void> {
    const { indexer, lanes } = this.d;
    await indexer.stop();
    await lanes.switchTo(id);
    markStaleForActive(this.d, id);
    indexer.restart();
    indexer.kick();
    this.d.emit('models.changed', { activeId: id });
  }

  /** Reopens the lanes on the same model (new ORT sessions after a settings change). */
  reopenLanes(): Promise<void> {
    return this.switchModel(this.d.lanes.activeId);
  }

  async activate(id: string): Promise<ModelInfo> {
    const info = this.infos().find((m) => m.id === id);
    if (!info) throw new ApiError('not_found', `no model pack ${id}`);
    if (info.error) throw new ApiError('bad_input', `model pack ${id} is damaged: ${info.error}`);
    this.d.registry.setActive(id);
    if (id !== this.d.lanes.activeId) await this.switchModel(id);
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
    const progress = (phase: string, done: number, total: number, message: string | null) =>
      this.d.emit('models.installProgress', { jobId, phase: phase as InstallPhase, done, total, message });
    try {
      // Loaded on demand: the converter is only needed while installing.
      const { installOfficialModel } = await import('../model/install.js');
      const r = await installOfficialModel({
        dataDir: this.d.dataDir,
        checkpoint,
        vocab,
        ...(name ? { name } : {}),
        signal,
        onProgress: (q) => progress(q.phase, q.done, q.total, q.message ?? null),
      });
      progress('done', 1, 1, `installed ${r.id}`);
      // A newly installed real model becomes the active one unless the user chose one
      // (the registry's rule); the library is then re-embedded with it in the background.
      const next = this.d.registry.active();
      const activeId = this.d.lanes.activeId;
      if (next !== activeId || r.id === activeId) await this.switchModel(next);
      else this.d.emit('models.changed', { activeId });
    } catch (err) {
      progress('error', 0, 0, (err as Error).message);
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
    if (id === this.d.lanes.activeId) await this.switchModel(this.d.registry.active());
    else this.d.emit('models.changed', { activeId: this.d.lanes.activeId });
    return { removed: true };
  }

  /** Aborts every running install (on close). */
  abortInstalls(): void {
    for (const ac of this.installs.values()) ac.abort();
  }
}
