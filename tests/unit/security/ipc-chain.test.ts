// The Electron transport end to end, minus Electron: the renderer's IPC client → the real preload
// (run as the sandbox runs it) → the IPC adapter → the real service (SQLite, ORT) and back, with
// events passing main's contract check. Only ipcRenderer/contextBridge are test doubles.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, dispatch } from '../../../app/api/contract.js';
import { APP_ROOT } from '../../../app/paths.js';
import type { EngineService } from '../../../app/service.js';
import { handleIpcCall, validateEvent } from '../../../main/ipc-adapter.js';
import { PathGrants } from '../../../main/ipc-policy.js';
import { ipcClient, type PreloadApi } from '../../../renderer/src/lib/api.js';
import { SKIP_NO_SHARED, tempDir, tinyService, writePhoto } from '../../helpers/engine.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

if (!goldenDir()) console.warn(`ipc-chain skipped: ${SKIP_NO_SHARED}`);

describe.skipIf(!goldenDir())('IPC chain: renderer client → preload → adapter → service', () => {
  let root: string;
  let svc: EngineService;
  let bridge: PreloadApi;
  let deliver: (env: unknown) => void;
  const grants = new PathGrants();

  beforeAll(async () => {
    root = tempDir('ml-ipc-');
    svc = (await tinyService(root))!;
    const js = ts.transpileModule(fs.readFileSync(path.join(APP_ROOT, 'main', 'preload.cts'), 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const exposed: Record<string, unknown> = {};
    const electron = {
      contextBridge: { exposeInMainWorld: (k: string, v: unknown) => void (exposed[k] = v) },
      ipcRenderer: {
        // What ipcMain.handle does in main.ts, with the app page as the sender.
        invoke: (_channel: string, raw: unknown) =>
          handleIpcCall('magiclens-app://app/index.html', raw, {
            forward: (env) => dispatch(svc.handlers, env),
            // main's folder dialog, "picking" the test's folder: its answer grants that path
            shell: { 'shell.pickFolder': async () => ({ path: path.join(root, 'pics') }) } as never,
            grants,
          }),
        on: (_channel: string, fn: (e: unknown, env: unknown) => void) => void (deliver = (env) => fn({}, env)),
      },
    };
    const module = { exports: {} };
    vm.runInNewContext(`(function (exports, require, module) {${js}\n})`, {})(module.exports, (n: string) => (n === 'electron' ? electron : undefined), module);
    bridge = exposed.magiclens as PreloadApi;
    // main.ts: service events → validateEvent → every window.
    svc.onEvent((e) => {
      const v = validateEvent(e);
      if (v) deliver(v);
    });
  });
  afterAll(async () => {
    await svc?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('answers typed calls and turns refusals into ApiErrors', async () => {
    const client = ipcClient(bridge);
    const status = await client.call('status.get', {});
    expect(status.model?.id).toBe('magiclens-tiny-golden');
    await expect(client.call('photos.get', { id: 424242 })).rejects.toMatchObject({ code: 'not_found' });
    const bad = client.call('folders.add', { path: 7 } as never);
    await expect(bad).rejects.toBeInstanceOf(ApiError);
    await expect(bad).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(client.call('nope.method' as never, {} as never)).rejects.toMatchObject({ code: 'unknown_method' });
    expect(client.imageUrl(3, 'full')).toBe('magiclens-media://full/3');
  });

  it('delivers contract-valid events to the renderer and drops invalid ones', async () => {
    const client = ipcClient(bridge);
    const got: unknown[] = [];
    client.on('index.progress', (d) => got.push(d));
    const photos = path.join(root, 'pics');
    await writePhoto(path.join(photos, 'a.jpg'), 1);
    await expect(client.call('folders.add', { path: photos })).rejects.toMatchObject({ code: 'unauthorized' }); // not picked yet
    expect(await client.shell('shell.pickFolder', {})).toEqual({ path: photos });
    await client.call('folders.add', { path: photos });
    await expect.poll(() => got.length).toBeGreaterThan(0);
    expect(got[got.length - 1]).toMatchObject({ state: expect.any(String), total: expect.any(Number) });
    expect(validateEvent({ event: 'albums.changed', data: { id: -1, count: 'x' } })).toBeNull();
    expect(validateEvent({ event: 'shell.exec', data: {} })).toBeNull();
    expect(validateEvent({ event: 'albums.changed', data: { id: 2, count: 5 } })).toEqual({ event: 'albums.changed', data: { id: 2, count: 5 } });
  });
});
