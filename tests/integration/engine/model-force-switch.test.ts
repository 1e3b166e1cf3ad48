// models.activate starts the background re-index; the user may force the switch (models.switchNow)
// before the new index covers the library, or choose the serving model again to cancel the upgrade.
// Real service, tiny pack, real SQLite and ORT.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../../app/model/registry.js';
import type { EngineService } from '../../../app/service.js';
import { emptyBundledDir, tempDir, tinyService, waitFor, writePhoto } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const pack = await tinyPackDir();
const root = tempDir('ml-force-');
const lib = path.join(root, 'library');
const N = 10;
let svc: EngineService;
const status = (s: string) => (svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE status = ?`).get(s) as { n: number }).n;
const tables = () => (svc.db.prepare('SELECT id FROM models ORDER BY key').all() as { id: string }[]).map((r) => r.id);

async function copyPack(id: string): Promise<void> {
  const dir = path.join(root, id);
  fs.cpSync(pack!, dir, { recursive: true });
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { id: string; name: string };
  m.id = id;
  m.name = id;
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  await new ModelRegistry(svc.dataDir, emptyBundledDir(root)).install(dir);
}

beforeAll(async () => {
  if (!pack) return;
  for (let i = 0; i < N; i++) await writePhoto(path.join(lib, `f${i}.jpg`), 700 + i, { width: 96, height: 64 });
  svc = (await tinyService(root))!;
  await svc.handlers['folders.add']({ path: lib, exclude: [] });
  await svc.whenIdle();
  await copyPack('tiny-b');
  await copyPack('tiny-c');
});
afterAll(async () => {
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!pack)('forcing or cancelling a model switch', () => {
  it('choosing the serving model again cancels the upgrade; nothing switches', async () => {
    const from = (await svc.handlers['status.get']({})).model!.id;
    await svc.handlers['index.pause']({});
    await svc.handlers['models.activate']({ id: 'tiny-b' });
    await waitFor(async () => (await svc.handlers['models.upgrade']({}))?.total === N, 20_000, 'upgrade counted');
    const back = await svc.handlers['models.activate']({ id: from });
    expect(back.active).toBe(true);
    expect(await svc.handlers['models.upgrade']({})).toBeNull();
    expect((await svc.handlers['status.get']({})).model?.id).toBe(from);
    expect((await svc.handlers['search.text']({ text: 'red', offset: 0, limit: 3, filters: {} })).modelId).toBe(from);
    expect((await svc.handlers['index.progress']({})).state).toBe('paused');
    await svc.handlers['index.resume']({});
  });

  it('models.switchNow switches at once; the photos the new index lacks are re-embedded by the indexer', async () => {
    const from = (await svc.handlers['status.get']({})).model!.id;
    await svc.handlers['index.pause']({});
    const info = await svc.handlers['models.activate']({ id: 'tiny-c' });
    expect(info.active).toBe(false);
    await waitFor(async () => (await svc.handlers['models.upgrade']({}))?.total === N, 20_000, 'upgrade counted');
    expect(await svc.handlers['models.upgrade']({})).toMatchObject({ state: 'paused', done: 0, targetId: 'tiny-c' });
    expect(await svc.handlers['models.switchNow']({})).toEqual({ switched: true });
    expect(await svc.handlers['models.switchNow']({})).toEqual({ switched: false }); // nothing left to switch
    expect((await svc.handlers['status.get']({})).model?.id).toBe('tiny-c');
    // the previous model's vectors are gone; the new model's index is empty, so its photos are pending again
    expect(tables()).not.toContain(from);
    expect(status('pending')).toBe(N);
    expect((await svc.handlers['index.progress']({})).state).toBe('paused'); // the user's pause holds
    await svc.handlers['index.resume']({});
    await svc.whenIdle();
    expect(status('indexed')).toBe(N);
    const key = svc.db.prepare('SELECT key FROM models WHERE id = ?').pluck().get('tiny-c') as number;
    expect((svc.db.prepare(`SELECT count(*) AS n FROM vec_target_${key}`).get() as { n: number }).n).toBe(N);
    const r = await svc.handlers['search.text']({ text: 'red', offset: 0, limit: 3, filters: {} });
    expect(r.modelId).toBe('tiny-c');
    expect(r.hits).toHaveLength(3);
  });
});
