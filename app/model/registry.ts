// Installed model packs: dataDir/models/<id>/ plus the bundled (demo) packs shipped with the app.
// The active choice is persisted in dataDir/models/active.json.
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLED_PACKS_DIR } from '../paths.js';
import { checkStamp, removeStamp, writeStamp } from './integrity.js';
import { loadPack, PackError, readManifest, type ModelPack } from './pack.js';
import type { Manifest } from '../../models/ts/pack-manifest.js';

export interface PackInfo {
  id: string;
  name: string;
  demo: boolean;
  bundled: boolean;
  dir: string;
  createdAt: string;
  manifest: Manifest | null;
  /** set when the pack is broken (it is listed, never loaded) */
  error?: string;
}

export class ModelRegistry {
  readonly modelsDir: string;
  /** verified stamps of the packs this data folder has hashed in full (app/model/integrity.ts) */
  readonly stampsDir: string;
  constructor(readonly dataDir: string, readonly bundledDir: string = BUNDLED_PACKS_DIR) {
    this.modelsDir = path.join(dataDir, 'models');
    this.stampsDir = path.join(dataDir, 'verified-packs');
  }

  private scan(dir: string, bundled: boolean): PackInfo[] {
    if (!fs.existsSync(dir)) return [];
    const out: PackInfo[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const d = path.join(dir, e.name);
      if (!fs.existsSync(path.join(d, 'manifest.json'))) continue;
      try {
        const m = readManifest(d);
        out.push({ id: m.id, name: m.name, demo: m.demo, bundled, dir: d, createdAt: m.createdAt, manifest: m });
      } catch (err) {
        out.push({ id: e.name, name: e.name, demo: false, bundled, dir: d, createdAt: '', manifest: null, error: (err as Error).message });
      }
    }
    return out;
  }

  /** Installed packs first (they shadow a bundled pack with the same id). */
  list(): PackInfo[] {
    const installed = this.scan(this.modelsDir, false);
    const ids = new Set(installed.map((p) => p.id));
    return [...installed, ...this.scan(this.bundledDir, true).filter((p) => !ids.has(p.id))];
  }

  private find(id: string): PackInfo & { manifest: Manifest } {
    const info = this.list().find((p) => p.id === id);
    if (!info) throw new PackError(`no model pack with id ${id}`);
    if (info.error || !info.manifest) throw new PackError(info.error ?? `model pack ${id} has no manifest`, info.dir);
    return { ...info, manifest: info.manifest };
  }

  /**
   * The pack, checked against its verified stamp (sizes and mtimes only) when the stamp still matches.
   * A pack with no stamp, or a file changed since it was stamped, is hashed in full before it is used:
   * a changed file whose sha256 no longer matches is refused (and stays refused: the stamp is removed).
   */
  async get(id: string): Promise<ModelPack> {
    const info = this.find(id);
    const s = checkStamp(this.stampsDir, info.dir, info.manifest);
    if (s.state === 'verified') return loadPack(info.dir, { verifyHashes: false });
    return this.verify(id);
  }

  /** Hashes every file of the pack in full; on success records the verified stamp, on failure removes it. */
  async verify(id: string): Promise<ModelPack> {
    const info = this.find(id);
    try {
      const pack = await loadPack(info.dir);
      this.stamp(pack);
      return pack;
    } catch (e) {
      removeStamp(this.stampsDir, info.dir);
      throw e;
    }
  }

  private stamp(pack: ModelPack): void {
    try {
      writeStamp(this.stampsDir, pack.dir, pack.manifest);
    } catch {
      /* a read-only data folder: the pack is hashed again next time, nothing is trusted without it */
    }
  }

  /** Copies a validated pack folder into the registry (atomically: copy to a temp folder, then rename). */
  async install(fromDir: string, opts: { move?: boolean } = {}): Promise<ModelPack> {
    const src = await loadPack(fromDir);
    fs.mkdirSync(this.modelsDir, { recursive: true });
    const dest = path.join(this.modelsDir, src.manifest.id);
    const tmp = path.join(this.modelsDir, `.installing-${src.manifest.id}-${process.pid}-${Date.now()}`);
    try {
      if (opts.move) {
        fs.renameSync(src.dir, tmp);
      } else {
        fs.mkdirSync(tmp);
        for (const f of ['manifest.json', ...Object.keys(src.manifest.files)]) fs.copyFileSync(src.path(f), path.join(tmp, f));
      }
      await loadPack(tmp);
      if (fs.existsSync(dest)) fs.rmSync(dest, { recursive: true, force: true });
      fs.renameSync(tmp, dest);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    const pack = await loadPack(dest, { verifyHashes: false });
    // Hashed in full above (in the temp folder); a rename keeps sizes and mtimes.
    this.stamp(pack);
    return pack;
  }

  remove(id: string): void {
    const info = this.list().find((p) => p.id === id && !p.bundled);
    if (!info) throw new PackError(`no installed model pack with id ${id} (bundled packs cannot be removed)`);
    fs.rmSync(info.dir, { recursive: true, force: true });
    removeStamp(this.stampsDir, info.dir);
    const activeFile = path.join(this.modelsDir, 'active.json');
    if (this.readActive() === id) fs.rmSync(activeFile, { force: true });
  }

  private readActive(): string | null {
    try {
      const j = JSON.parse(fs.readFileSync(path.join(this.modelsDir, 'active.json'), 'utf8')) as { id?: unknown };
      return typeof j.id === 'string' ? j.id : null;
    } catch {
      return null;
    }
  }

  /** The active pack's id: the persisted choice if it is still valid, else the newest non-demo pack, else a demo pack. */
  active(): string | null {
    const packs = this.list().filter((p) => !p.error);
    const chosen = this.readActive();
    if (chosen && packs.some((p) => p.id === chosen)) return chosen;
    const real = packs.filter((p) => !p.demo).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return real[0]?.id ?? packs.find((p) => p.demo)?.id ?? packs[0]?.id ?? null;
  }

  setActive(id: string): void {
    const p = this.list().find((x) => x.id === id);
    if (!p) throw new PackError(`no model pack with id ${id}`);
    if (p.error) throw new PackError(p.error, p.dir);
    fs.mkdirSync(this.modelsDir, { recursive: true });
    fs.writeFileSync(path.join(this.modelsDir, 'active.json'), JSON.stringify({ id }) + '\n');
  }
}
