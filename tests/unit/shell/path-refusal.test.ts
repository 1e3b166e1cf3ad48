// UNC, device and namespace paths are refused at every edge: the contract schema (IPC adapter,
// HTTP bridge, CLI all parse with it), the real HTTP bridge over a socket, and the service's own
// folders.add handler. Ordinary paths — including drive roots and names that merely start with
// "con" — still pass.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseParams, type Folder } from '../../../app/api/contract.js';
import { fsPathProblem } from '../../../app/api/schemas.js';
import type { EngineService } from '../../../app/service.js';
import { startServer, type RunningServer } from '../../../app/server.js';
import { bridgeService } from '../../helpers/bridge-service.js';
import { SKIP_NO_SHARED, tempDir, tinyService } from '../../helpers/engine.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const HOSTILE = [
  '\\\\host\\share\\x.jpg',
  '//host/share/x.jpg',
  '\\/host/share',
  '\\\\?\\C:\\photos',
  '//?/C:/photos',
  '\\\\.\\PhysicalDrive0',
  '\\\\?\\UNC\\host\\share',
  '\\??\\C:\\photos',
  'C:\\photos\\CON',
  'C:\\photos\\nul.jpg',
  'D:/x/COM1 .txt',
  '/dev/zero',
  '/proc/self/environ',
  '/sys',
  '/photos/a\0.jpg',
];
const FINE = ['/', 'D:\\', 'C:\\Users\\me\\Pictures', '/home/me/..photos', '/media/sd/con/photo.jpg', 'C:\\photos\\console.jpg', 'C:\\photos\\concert', '/devices/cam', '/home/me/dev'];

describe('fsPathProblem / FsPath', () => {
  it('refuses UNC, device and namespace paths with a reason', () => {
    for (const p of HOSTILE) expect(fsPathProblem(p), p).toMatch(/not accepted|NUL/);
    for (const p of HOSTILE) expect(() => parseParams('folders.add', { path: p }), p).toThrow(/not accepted|NUL/);
  });
  it('accepts ordinary paths, drive roots and look-alike names', () => {
    for (const p of FINE) expect(fsPathProblem(p), p).toBeNull();
    for (const p of FINE) expect(parseParams('folders.add', { path: p }), p).toMatchObject({ path: p });
  });
});

describe('HTTP bridge edge', () => {
  let srv: RunningServer;
  const added: string[] = [];
  beforeAll(async () => {
    const svc = bridgeService({ 'folders.add': async ({ path: p }) => (added.push(p), { id: 1, path: p } as Folder) }, async () => null as never);
    srv = await startServer({ service: svc });
  });
  afterAll(async () => srv?.close());

  const post = (body: unknown) =>
    fetch(`http://127.0.0.1:${srv.port}/api`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}` }, body: JSON.stringify(body) });

  it('refuses UNC and device paths before the service sees them, keeps typed ordinary paths', async () => {
    for (const p of HOSTILE) {
      const r = await post({ id: 1, method: 'folders.add', params: { path: p } });
      expect(r.status, p).toBe(400);
      expect(await r.json(), p).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    expect(added).toEqual([]);
    const ok = await post({ id: 2, method: 'folders.add', params: { path: '/home/me/Pictures' } });
    expect(await ok.json()).toMatchObject({ ok: true });
    expect(added).toEqual(['/home/me/Pictures']);
  });
});

if (!goldenDir()) console.warn(`service folders.add refusal skipped: ${SKIP_NO_SHARED}`);
describe.skipIf(!goldenDir())('service folders.add', () => {
  let root: string;
  let svc: EngineService;
  beforeAll(async () => {
    root = tempDir('ml-paths-');
    svc = (await tinyService(root))!;
  });
  afterAll(async () => {
    await svc?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('refuses UNC and device paths even when called past the schema', async () => {
    for (const p of ['\\\\host\\share', '//host/share', '\\\\?\\C:\\x', '/dev/zero']) {
      await expect(svc.handlers['folders.add']({ path: p, exclude: [] }), p).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/not accepted/) });
    }
    await expect(svc.handlers['folders.list']({})).resolves.toEqual([]);
    const pics = path.join(root, 'pics');
    fs.mkdirSync(pics);
    await expect(svc.handlers['folders.add']({ path: pics, exclude: [] })).resolves.toMatchObject({ path: pics });
  });
});
