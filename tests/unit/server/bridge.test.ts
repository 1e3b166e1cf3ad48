// The HTTP/WebSocket bridge over real sockets: token, loopback, Host/Origin, body limits,
// contract validation, event fan-out, media confinement and static files with CSP.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiError, type Folder, type Status } from '../../../app/api/contract.js';
import { startServer, type RunningServer } from '../../../app/server.js';
import { bridgeService, type FakeBridgeService } from '../../helpers/bridge-service.js';

let tmp: string;
let lib: string;
let srv: RunningServer;
let svc: FakeBridgeService;
const secretOutside = () => path.join(tmp, 'outside', 'secret.jpg');

function raw(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, method: opts.method ?? 'GET', path: opts.path, headers: { Host: `127.0.0.1:${srv.port}`, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const api = (body: unknown, headers: Record<string, string> = {}) =>
  raw({ method: 'POST', path: '/api', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}`, ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ml-bridge-'));
  lib = path.join(tmp, 'library');
  const data = path.join(tmp, 'data');
  const staticDir = path.join(tmp, 'static');
  for (const d of [lib, data, path.join(tmp, 'outside'), path.join(staticDir, 'assets')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(lib, 'a.jpg'), Buffer.from('JPEGDATA-A'));
  writeFileSync(secretOutside(), 'TOP SECRET');
  symlinkSync(secretOutside(), path.join(lib, 'escape.jpg'));
  mkdirSync(path.join(data, 'thumbs'), { recursive: true });
  writeFileSync(path.join(data, 'thumbs', 'thumb-1.webp'), 'THUMB1');
  writeFileSync(path.join(data, 'library.db'), 'DATABASE');
  writeFileSync(path.join(data, 'thumbs', 'rendition-5.jpg'), 'HEIC AS JPEG');
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(tmp, 'package.json'), '{"secret":true}');
  const folder: Folder = { id: 1, path: lib, exclude: [], photoCount: 1, errorCount: 0, available: true, addedAt: 0 };
  // Each photo id maps to a path the (fake) service would hand out; 2 and 3 are hostile.
  const files: Record<number, string> = { 1: path.join(lib, 'a.jpg'), 2: path.join(lib, 'escape.jpg'), 3: secretOutside(), 4: path.join(lib, '..', 'outside', 'secret.jpg') };
  svc = bridgeService(
    {
      'folders.list': async () => [folder],
      'status.get': async () => ({ dataDir: data }) as Status,
      'photos.get': async ({ id }) => {
        throw new ApiError('not_found', `no photo ${id}`);
      },
    },
    async (id, kind) => {
      if (kind === 'thumb') return { path: id === 9 ? path.join(data, 'library.db') : path.join(data, 'thumbs', `thumb-${id}.webp`), contentType: 'image/webp' };
      if (id === 5) return { path: path.join(data, 'thumbs', 'rendition-5.jpg'), contentType: 'image/jpeg' };
      if (id === 6) return { path: path.join(data, 'library.db'), contentType: 'image/jpeg' };
      const p = files[id];
      if (!p) throw new ApiError('not_found', `no photo ${id}`);
      return { path: p, contentType: 'image/jpeg' };
    },
  );
  srv = await startServer({ service: svc, staticDir });
});

afterAll(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('HTTP bridge', () => {
  it('binds only to loopback and refuses any other host', async () => {
    expect(srv.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${srv.port}/\\?token=[0-9a-f]{64}$`));
    await expect(startServer({ service: svc, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1 only/);
    // No non-loopback interface answers on our port.
    const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      await expect(
        new Promise((resolve, reject) => {
          const r = http.get({ host: external.address, port: srv.port, path: '/', timeout: 2000 }, resolve);
          r.on('error', reject);
          r.on('timeout', () => r.destroy(new Error('timeout')));
        }),
      ).rejects.toThrow();
    }
  });

  it('refuses API calls without the token or with a wrong one (401)', async () => {
    const none = await raw({ method: 'POST', path: '/api', headers: { 'Content-Type': 'application/json' }, body: '{"id":1,"method":"folders.list"}' });
    expect(none.status).toBe(401);
    const wrong = await api({ id: 1, method: 'folders.list' }, { Authorization: `Bearer ${'0'.repeat(64)}` });
    expect(wrong.status).toBe(401);
    const inQuery = await raw({ method: 'POST', path: `/api?token=${srv.token}`, headers: { 'Content-Type': 'application/json' }, body: '{"id":1,"method":"folders.list"}' });
    expect(inQuery.status).toBe(401); // the API takes the token only from the header
    const ok = await api({ id: 1, method: 'folders.list' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ id: 1, ok: true, result: [{ id: 1, path: lib }] });
  });

  it('refuses rebinding Host headers and cross-origin pages', async () => {
    const rebound = await raw({ method: 'POST', path: '/api', headers: { Host: `evil.example:${srv.port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}` }, body: '{"id":1,"method":"folders.list"}' });
    expect(rebound.status).toBe(403);
    const cross = await api({ id: 1, method: 'folders.list' }, { Origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    const same = await api({ id: 1, method: 'folders.list' }, { Origin: `http://127.0.0.1:${srv.port}` });
    expect(same.status).toBe(200);
  });

  it('refuses non-JSON, malformed and oversized bodies', async () => {
    const form = await raw({ method: 'POST', path: '/api', headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${srv.token}` }, body: '{"id":1,"method":"folders.list"}' });
    expect(form.status).toBe(415);
    const bad = await raw({ method: 'POST', path: '/api', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}` }, body: '{not json' });
    expect(bad.status).toBe(400);
    const big = await raw({ method: 'POST', path: '/api', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}` }, body: JSON.stringify({ id: 1, method: 'folders.list', params: { pad: 'x'.repeat(1_100_000) } }) });
    expect(big.status).toBe(413);
    const get = await raw({ path: '/api', headers: { Authorization: `Bearer ${srv.token}` } });
    expect(get.status).toBe(405);
  });

  it('refuses requests that fail the contract schema, and unknown methods', async () => {
    const r1 = await api({ id: 7, method: 'folders.add', params: { path: '/x', evil: true } });
    expect(r1.status).toBe(400);
    expect(JSON.parse(r1.body)).toMatchObject({ id: 7, ok: false, error: { code: 'invalid_request' } });
    const r2 = await api({ id: 8, method: 'search.compose', params: { photo: { id: -3 }, instruction: 'x' } });
    expect(JSON.parse(r2.body)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    const r3 = await api({ id: 9, method: '__proto__' });
    expect(r3.status).toBe(404);
    expect(JSON.parse(r3.body)).toMatchObject({ ok: false, error: { code: 'unknown_method' } });
    const r4 = await api({ id: 10, method: 'photos.get', params: { id: 5 } });
    expect(r4.status).toBe(404);
    expect(JSON.parse(r4.body)).toMatchObject({ id: 10, ok: false, error: { code: 'not_found', message: 'no photo 5' } });
  });

  it('streams events over the WebSocket only with the token', async () => {
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/events`);
      ws.on('open', () => resolve('open'));
      ws.on('error', (e) => resolve(String(e.message)));
    });
    expect(refused).toMatch(/401/);
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/events?token=${srv.token}`);
    await new Promise((r) => ws.once('open', r));
    const got = new Promise<unknown>((resolve) => ws.once('message', (m) => resolve(JSON.parse(String(m)))));
    svc.emit({ event: 'albums.changed', data: { id: 3, count: 12 } });
    expect(await got).toEqual({ event: 'albums.changed', data: { id: 3, count: 12 } });
    ws.close();
  });

  it('serves media only from inside library folders', async () => {
    const ok = await raw({ path: `/media/full/1?token=${srv.token}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('JPEGDATA-A');
    expect(ok.headers['content-type']).toBe('image/jpeg');
    const thumb = await raw({ path: `/media/thumb/1?token=${srv.token}` });
    expect(thumb.body).toBe('THUMB1');
    expect((await raw({ path: '/media/full/1' })).status).toBe(401);
    // A rendition the service made (HEIC → JPEG) lives in the data dir's thumbs folder: allowed;
    // anything else in the data dir (the database) is not, for either kind.
    expect((await raw({ path: `/media/full/5?token=${srv.token}` })).body).toBe('HEIC AS JPEG');
    for (const p of ['/media/full/6', '/media/thumb/9']) {
      const r = await raw({ path: `${p}?token=${srv.token}` });
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('DATABASE');
    }
    // A symlink inside the library pointing outside, an absolute path outside, and a path with ".."
    for (const id of [2, 3, 4]) {
      const r = await raw({ path: `/media/full/${id}?token=${srv.token}` });
      expect(r.status).toBe(404);
      expect(r.body).not.toContain('TOP SECRET');
    }
    for (const p of ['/media/full/../../etc/passwd', '/media/full/%2e%2e%2fsecret', '/media/full//etc/passwd', '/media/full/1/../2', '/media/full/-1', '/media/raw/1']) {
      const r = await raw({ path: `${p}?token=${srv.token}` });
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.body).not.toContain('TOP SECRET');
    }
  });

  it('serves the renderer with a strict CSP and nothing outside its folder', async () => {
    const page = await raw({ path: '/' });
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect((await raw({ path: '/assets/app.js' })).status).toBe(200);
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/assets/../../package.json']) {
      const r = await raw({ path: p });
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('secret');
    }
  });

  it('stops fanning out events after close', async () => {
    const s2 = await startServer({ service: svc });
    const before = svc.listeners;
    await s2.close();
    expect(svc.listeners).toBe(before - 1);
  });
});
