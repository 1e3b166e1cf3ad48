// library.repair on a running service: the startup backup, then a live restore through the online
// backup API; status carries the library's health.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { listBackups } from '../../../app/store/backup.js';
import { createService } from '../../../app/service.js';
import { damageTables } from '../../helpers/damage.js';
import { emptyBundledDir, sleep, tempDir, tinyService, waitFor, writePhoto } from '../../helpers/engine.js';



const root = tempDir('ml-repair-live-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('library.repair on a running service', () => {
  it('backs up a healthy library at start and restores it live', async () => {
    const dataDir = path.join(root, 'data');
    const lib = path.join(root, 'lib');
    fs.mkdirSync(lib, { recursive: true });
    const svc = await createService({ dataDir, bundledPacksDir: emptyBundledDir(root), watch: false });
    try {
      const f = await svc.handlers['folders.add']({ path: lib, exclude: ['*.tmp'] });
      await svc.handlers['settings.set']({ theme: 'dark' });
      for (let i = 0; i < 100 && listBackups(dataDir).length === 0; i++) await sleep(50);
      expect((await svc.handlers['status.get']({})).library).toMatchObject({ state: 'ok' });
      const backups = listBackups(dataDir);
      expect(backups.length).toBe(1);
      // what the backup holds (it may have been taken before or after the two calls above)
      const held = (file: string) => {
        const db = new Database(file, { readonly: true });
        try {
          return JSON.stringify([db.prepare('SELECT * FROM settings ORDER BY key').all(), db.prepare('SELECT id, path, exclude_json FROM folders ORDER BY id').all()]);
        } finally {
          db.close();
        }
      };
      const inBackup = held(backups[0]!.file);
      await svc.handlers['settings.set']({ theme: 'light', sketchInstruction: 'changed after the backup' });
      expect(held(path.join(dataDir, 'library.db'))).not.toBe(inBackup);
      const r = await svc.handlers['library.repair']({ mode: 'restore' });
      expect(r).toMatchObject({ action: 'restored', state: 'ok' });
      expect(svc.db.prepare('SELECT COUNT(*) AS n FROM folders').get()).toEqual({ n: JSON.parse(inBackup)[1].length });
      expect(held(path.join(dataDir, 'library.db'))).toBe(inBackup);
      expect(f.id).toBeGreaterThan(0);
      expect((await svc.handlers['status.get']({})).library?.state).toBe('ok');
    } finally {
      await svc.close();
    }
  }, 30_000);

  it('a library whose every vector table is damaged still opens (damaged), refuses searches clearly, and repair restores it', async () => {
    const sub = path.join(root, 'all-vectors');
    const lib = path.join(sub, 'lib');
    for (let i = 0; i < 24; i++) await writePhoto(path.join(lib, `p${i}.png`), 700 + i, { fmt: 'png', width: 64, height: 48 });
    const first = await tinyService(sub);
    if (!first) return; // no golden reference data: nothing to index with
    await first.handlers['folders.add']({ path: lib, exclude: [] });
    await first.whenIdle();
    await waitFor(() => listBackups(first.dataDir).length > 0, 20_000, 'a backup after the indexing run');
    await first.close();
    expect(damageTables(path.join(sub, 'data', 'library.db'), 'vec\\_%')).toBeGreaterThan(0);

    const svc = (await tinyService(sub))!; // used to throw "database disk image is malformed" here
    try {
      expect((await svc.libraryHealth()).state).toBe('damaged');
      await expect(svc.handlers['search.text']({ text: 'a photo', limit: 5, offset: 0, filters: {} })).rejects.toThrow(/library damaged, run repair/);
      expect(await svc.handlers['library.repair']({ mode: 'auto' })).toMatchObject({ action: 'restored', state: 'ok' });
      expect((await svc.handlers['status.get']({})).photos.indexed).toBe(24);
      expect((await svc.handlers['search.text']({ text: 'a photo', limit: 5, offset: 0, filters: {} })).hits.length).toBe(5);
    } finally {
      await svc.close();
    }
  }, 120_000);
});
