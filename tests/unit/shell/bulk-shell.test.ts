// The desktop's bulk "Show in folder" and "Open": their requests are capped and validated at
// main's IPC edge (through the real adapter), and they resolve photos through the service's real
// photos.get over a real SQLite library: one window per distinct folder (capped), originals only
// inside the library, photos gone or outside skipped.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../app/api/contract.js';
import { MAX_OPEN_PHOTOS, MAX_REVEAL_PHOTOS } from '../../../app/api/shell.js';
import { photoHandlers } from '../../../app/service/handlers/photos.js';
import { openDatabase } from '../../../app/store/db.js';
import { PhotoRepo } from '../../../app/store/photos.js';
import { handleIpcCall, type IpcDeps } from '../../../main/ipc-adapter.js';
import { openTargets, revealTargets } from '../../../main/reveal.js';
import { tempDir } from '../../helpers/engine.js';

const APP = 'magiclens-app://app/index.html';
const root = tempDir('ml-bulk-shell-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('bulk shell requests at the IPC edge', () => {
  const seen: unknown[] = [];
  const d: IpcDeps = {
    forward: async (env) => ({ id: env.id, ok: true, result: null }),
    shell: {
      'shell.pickFolder': async () => ({ path: null }),
      'shell.pickImage': async () => ({ path: null }),
      'shell.pickFile': async () => ({ path: null }),
      'shell.photoMenu': async () => ({ action: null }),
      'shell.showInFolder': async () => ({ shown: false }),
      'shell.revealPhotos': async (p) => (seen.push(p), { folders: 1, shown: 1 }),
      'shell.openPhotos': async (p) => (seen.push(p), { opened: 1, failed: 0 }),
    },
  };
  const call = (method: string, params: unknown) => handleIpcCall(APP, { id: 1, method, params }, d);
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('caps the number of photos and refuses anything but photo ids', async () => {
    expect(await call('shell.openPhotos', { photoIds: ids(MAX_OPEN_PHOTOS) })).toMatchObject({ ok: true, result: { opened: 1 } });
    expect(await call('shell.openPhotos', { photoIds: ids(MAX_OPEN_PHOTOS + 1) })).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining(`at most ${MAX_OPEN_PHOTOS}`) } });
    expect(await call('shell.revealPhotos', { photoIds: ids(MAX_REVEAL_PHOTOS) })).toMatchObject({ ok: true });
    expect(await call('shell.revealPhotos', { photoIds: ids(MAX_REVEAL_PHOTOS + 1) })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    for (const bad of [{ photoIds: [] }, { photoIds: [0] }, { photoIds: [1.5] }, { photoIds: ['/etc/passwd'] }, { photoIds: [1], path: '/etc' }, {}]) {
      expect(await call('shell.openPhotos', bad), JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await call('shell.revealPhotos', bad), JSON.stringify(bad)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    // Only the two valid-sized requests of each kind reached main's handlers.
    expect(seen).toHaveLength(2);
    expect(await handleIpcCall('https://evil.example/', { id: 1, method: 'shell.openPhotos', params: { photoIds: [1] } }, d)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });
});

describe('which files they reveal and open', () => {
  it('one file per distinct folder (capped), originals inside the library only', async () => {
    const lib = path.join(root, 'lib');
    const dirs = ['a', 'b', 'c'].map((x) => path.join(lib, x));
    for (const dir of dirs) fs.mkdirSync(dir, { recursive: true });
    const files = [path.join(dirs[0]!, '1.jpg'), path.join(dirs[0]!, '2.jpg'), path.join(dirs[1]!, '3.jpg'), path.join(dirs[2]!, '4.jpg')];
    for (const f of files) fs.writeFileSync(f, 'jpeg');
    fs.writeFileSync(path.join(root, 'outside.jpg'), 'jpeg');
    const db = openDatabase(path.join(root, 'library.db'));
    db.prepare(`INSERT INTO folders (id, path, exclude_json, added_at) VALUES (1, ?, '[]', 1)`).run(lib);
    const ins = db.prepare(`INSERT INTO photos (id, path, folder_id, hash, size, status, added_at, updated_at) VALUES (?, ?, 1, ?, 4, 'indexed', 1, 1)`);
    [...files, path.join(root, 'outside.jpg'), path.join(lib, 'gone.jpg')].forEach((f, i) => ins.run(i + 1, f, `h${i}`));
    const handlers = photoHandlers({ photos: new PhotoRepo(db) });
    const deps = { call: (env: Parameters<typeof dispatch>[1]) => dispatch(handlers as never, env), roots: async () => ({ folders: [lib] }) };

    const all = [1, 2, 3, 4, 5, 6, 99];
    expect(await revealTargets(all, deps, 5)).toEqual({ folders: 3, paths: [files[0], files[2], files[3]] });
    expect(await revealTargets(all, deps, 2)).toEqual({ folders: 3, paths: [files[0], files[2]] });
    // Photo 5 lies outside the library, 6 is no longer on disk, 99 is unknown: none is opened.
    expect(await openTargets(all, deps)).toEqual(files);
    db.close();
  });
});
