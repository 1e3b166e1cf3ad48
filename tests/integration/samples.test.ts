// The bundled sample photos through the real service (SQLite, sharp, ORT, the demo pack) and the real
// CLI: samples.add copies them into the data folder only, adds that one folder, indexes them, and
// the suggested searches resolve to indexed photos whose composed search ranks the expected photo
// first; adding again changes nothing; a build without samples says so and writes nothing.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROOT, BUNDLED_PACKS_DIR } from '../../app/paths.js';
import { createService, type EngineService } from '../../app/service.js';
import { BUNDLED_SAMPLES_DIR } from '../../app/service/handlers/samples.js';

const MANIFEST = path.join(BUNDLED_SAMPLES_DIR, 'samples.json');
const skip = !fs.existsSync(MANIFEST) ? 'models/samples is not there' : !fs.existsSync(path.join(BUNDLED_PACKS_DIR, 'demo', 'manifest.json')) ? 'no bundled demo pack' : null;
if (skip) console.warn(`samples test skipped: ${skip}`);

interface Manifest {
  photos: number;
  suggestions: { kind: string; instruction: string; query: string; expected: string[] }[];
}

/** name → sha256 of every file in a folder (to prove the bundled copy is left as it was). */
function digest(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((n) => [n, crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, n))).digest('hex')]));
}

describe.skipIf(skip !== null)('sample photos', () => {
  let tmp: string;
  let svc: EngineService;
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest;
  const bundledPhotos = path.join(BUNDLED_SAMPLES_DIR, 'photos');
  const before = skip ? {} : digest(bundledPhotos);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-samples-'));
    svc = await createService({ dataDir: path.join(tmp, 'data'), watch: false, threads: 2 });
  });
  afterAll(async () => {
    await svc?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('ships a few hundred photos under 5 MB with three suggestions', () => {
    const files = fs.readdirSync(bundledPhotos);
    const bytes = files.reduce((n, f) => n + fs.statSync(path.join(bundledPhotos, f)).size, 0);
    expect(files.length).toBe(manifest.photos);
    expect(files.length).toBeGreaterThanOrEqual(200);
    expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(manifest.suggestions.map((s) => s.kind)).toEqual(['colour', 'set', 'count']);
    for (const s of manifest.suggestions) expect(files).toContain(s.query);
  });

  it('samples.get before adding: offered, not in the library', async () => {
    const s = await svc.handlers['samples.get']({});
    expect(s.available).toBe(true);
    expect(s.folderId).toBeNull();
    expect(s.suggestions.every((g) => g.photoId === null)).toBe(true);
  });

  it('samples.add copies into the data folder, adds it, and each suggestion finds its expected photo first', async () => {
    const added = await svc.handlers['samples.add']({});
    await svc.scansIdle();
    await svc.whenIdle();
    const dest = fs.realpathSync(path.join(tmp, 'data', 'samples'));
    const folders = await svc.handlers['folders.list']({});
    expect(folders.map((f) => [f.id, f.path])).toEqual([[added.folderId, dest]]);
    expect(fs.readdirSync(dest).sort()).toEqual(Object.keys(before));
    expect(fs.readdirSync(tmp)).toEqual(['data']); // nothing written beside the data folder
    expect(digest(bundledPhotos)).toEqual(before); // the app's own copy untouched
    const s = await svc.handlers['samples.get']({});
    expect(s.photos).toBe(manifest.photos);
    for (const g of s.suggestions) {
      expect(g.photoId, g.file).not.toBeNull();
      const r = await svc.handlers['search.compose']({ photo: { id: g.photoId! }, instruction: g.instruction, includeQueryPhoto: false, offset: 0, limit: 1, filters: {} });
      expect(manifest.suggestions.find((m) => m.query === g.file)!.expected).toContain(r.hits[0]!.photo.name);
    }
  });

  it('adding again keeps one folder and copies nothing; a deleted sample is restored', async () => {
    const dest = path.join(tmp, 'data', 'samples');
    const first = manifest.suggestions[0]!.query;
    const mtime = fs.statSync(path.join(dest, manifest.suggestions[1]!.query)).mtimeMs;
    fs.rmSync(path.join(dest, first));
    const again = await svc.handlers['samples.add']({});
    await svc.scansIdle();
    await svc.whenIdle();
    expect((await svc.handlers['folders.list']({})).length).toBe(1);
    expect(again.folderId).not.toBeNull();
    expect(fs.existsSync(path.join(dest, first))).toBe(true);
    expect(fs.statSync(path.join(dest, manifest.suggestions[1]!.query)).mtimeMs).toBe(mtime);
    expect((await svc.handlers['samples.get']({})).photos).toBe(manifest.photos);
  });

  it('magiclens samples (CLI, --json) adds them into MAGICLENS_HOME and prints runnable suggestions', () => {
    const home = path.join(tmp, 'cli-home');
    const r = spawnSync(process.execPath, [path.join(APP_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(APP_ROOT, 'app', 'cli.ts'), '--json', 'samples'], { env: { ...process.env, MAGICLENS_HOME: home }, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { folder: string; photos: number; suggestions: { photoId: number | null }[] };
    expect(out.folder).toBe(fs.realpathSync(path.join(home, 'samples')));
    expect(out.photos).toBe(manifest.photos);
    expect(out.suggestions.every((s) => typeof s.photoId === 'number')).toBe(true);
  }, 300_000);
});
