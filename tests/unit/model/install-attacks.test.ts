// The installer against a hostile caller, over a real loopback HTTP server and real files: a URL
// that names a file outside the data folder, URLs and redirects that leave https, local paths
// that are relative, UNC or not a checkpoint, an endless download, and two installs at once.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../../app/api/contract.js';
import { installOfficialModel } from '../../../app/model/install.js';
import { createService } from '../../../app/service.js';
import { emptyBundledDir, tempDir } from '../../helpers/engine.js';

const root = tempDir('ml-install-attack-');
const outside = path.join(root, 'outside');
let server: http.Server;
let base = '';
const stalled = new Set<http.ServerResponse>();

function listFiles(dir: string, skip: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .map((e) => path.join(e.parentPath, e.name))
    .filter((p) => !p.startsWith(skip));
}

beforeAll(async () => {
  fs.mkdirSync(outside, { recursive: true });
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/x/')) return void res.end('PWNED by the last path segment');
    if (url === '/redir-remote-http') return void res.writeHead(302, { location: 'http://192.0.2.1/m.pkl' }).end();
    if (url === '/redir-ftp') return void res.writeHead(301, { location: 'ftp://127.0.0.1/m.pkl' }).end();
    if (url === '/huge') {
      res.writeHead(200, { 'content-length': String(200 * 2 ** 20) });
      return void res.write('x'); // announces 200 MB, then waits: the announced size alone must end it
    }
    if (url === '/stall') {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.from([0x80]));
      stalled.add(res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  for (const r of stalled) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(root, { recursive: true, force: true });
});

describe('installer against hostile input', () => {
  it('a URL whose last segment is ..%2F..%2Foutside%2Fpwned.txt writes nothing outside the data folder', async () => {
    const data = path.join(root, 'data-traversal');
    const before = listFiles(root, data);
    await expect(installOfficialModel({ dataDir: data, checkpoint: `${base}/x/..%2F..%2Foutside%2Fpwned.txt`, vocab: `${base}/x/..%2F..%2Foutside%2Fvocab.txt` })).rejects.toThrow();
    expect(fs.existsSync(path.join(outside, 'pwned.txt'))).toBe(false);
    expect(fs.existsSync(path.join(outside, 'pwned.txt.part'))).toBe(false);
    expect(listFiles(root, data)).toEqual(before);
    // what was fetched sits under the app's fixed name, inside the data folder
    expect(fs.readdirSync(path.join(data, 'downloads')).sort()).toContain('checkpoint.pkl');
    expect(fs.existsSync(path.join(data, 'models')) ? fs.readdirSync(path.join(data, 'models')) : []).toEqual([]);
  });

  it('fetches only https (plain http only on this computer): other URLs are refused before any request', async () => {
    const data = path.join(root, 'data-ssrf');
    for (const u of ['http://192.0.2.1/m.pkl', 'file:///etc/passwd', 'ftp://127.0.0.1/m.pkl', 'gopher://127.0.0.1:70/x', 'https://user:pw@example.com/m.pkl']) {
      const t0 = Date.now();
      await expect(installOfficialModel({ dataDir: data, checkpoint: u, vocab: 'clip' }), u).rejects.toThrow(/only https|user name/);
      expect(Date.now() - t0).toBeLessThan(1000); // refused, not attempted (192.0.2.1 is unroutable)
    }
    expect(fs.existsSync(path.join(data, 'downloads'))).toBe(false);
  }, 10_000);

  it('redirects are followed only to https (or back to this computer when the download started here)', async () => {
    const data = path.join(root, 'data-redirect');
    await expect(installOfficialModel({ dataDir: data, checkpoint: `${base}/redir-remote-http`, vocab: 'clip' })).rejects.toThrow(/refused a redirect/);
    await expect(installOfficialModel({ dataDir: data, checkpoint: `${base}/redir-ftp`, vocab: 'clip' })).rejects.toThrow(/refused a redirect/);
  }, 10_000);

  it('a local path must be absolute, not UNC or a device, a regular file, and look like a checkpoint', async () => {
    const data = path.join(root, 'data-local');
    const text = path.join(outside, 'shadow');
    fs.writeFileSync(text, 'root:$6$salt$hash:19000:0:99999:7:::\n');
    const cases: [string, RegExp][] = [
      ['magic_lens_clip_base.pkl', /absolute path/],
      ['../outside/shadow', /absolute path/],
      ['\\\\fileserver\\share\\magic_lens_clip_base.pkl', /network \(UNC\)/],
      ['\\\\?\\C:\\models\\magic_lens_clip_base.pkl', /network \(UNC\)/],
      [outside, /not a regular file/],
      [text, /not a MagicLens checkpoint/],
    ];
    for (const [ck, re] of cases) await expect(installOfficialModel({ dataDir: data, checkpoint: ck, vocab: 'clip' }), ck).rejects.toThrow(re);
  });

  it('a download larger than its kind allows is refused from the announced size and deleted', async () => {
    const data = path.join(root, 'data-huge');
    const t0 = Date.now();
    // a local pickle as the checkpoint, so that the vocabulary download is reached without a network
    const ck = path.join(outside, 'fake.pkl');
    fs.writeFileSync(ck, Buffer.from([0x80, 0x04, 0x95]));
    await expect(installOfficialModel({ dataDir: data, checkpoint: ck, vocab: `${base}/huge` })).rejects.toThrow(/more than the 16777216/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(fs.readdirSync(path.join(data, 'downloads')).filter((f) => f.endsWith('.part'))).toEqual([]);
  }, 30_000);

  it('installs are serialised: a second install while one runs is refused, and the lock goes with the first', async () => {
    const data = path.join(root, 'data-serial');
    const ac = new AbortController();
    const first = installOfficialModel({ dataDir: data, checkpoint: `${base}/stall`, vocab: 'clip', signal: ac.signal });
    const firstDone = first.catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 200));
    await expect(installOfficialModel({ dataDir: data, checkpoint: `${base}/x/other.pkl`, vocab: 'clip' })).rejects.toThrow(/another model install is running/);
    ac.abort();
    expect(String(await firstDone)).toMatch(/cancelled/);
    expect(fs.existsSync(path.join(data, 'install.lock'))).toBe(false);
    expect(fs.existsSync(path.join(data, 'models')) ? fs.readdirSync(path.join(data, 'models')) : []).toEqual([]);
  }, 15_000);

  it('over the API: a bad source is bad_input at once, a second concurrent install is a conflict', async () => {
    const svc = await createService({ dataDir: path.join(root, 'data-api'), bundledPacksDir: emptyBundledDir(root), watch: false });
    try {
      const rel = await dispatch(svc.handlers, { id: 1, method: 'models.install', params: { checkpoint: 'ck.pkl', vocab: 'clip' } });
      expect(rel).toMatchObject({ ok: false, error: { code: 'bad_input' } });
      const ssrf = await dispatch(svc.handlers, { id: 2, method: 'models.install', params: { checkpoint: 'http://192.0.2.1/m.pkl', vocab: 'clip' } });
      expect(ssrf).toMatchObject({ ok: false, error: { code: 'bad_input' } });
      const a = await dispatch(svc.handlers, { id: 3, method: 'models.install', params: { checkpoint: `${base}/stall`, vocab: 'clip' } });
      expect(a).toMatchObject({ ok: true });
      const b = await dispatch(svc.handlers, { id: 4, method: 'models.install', params: { checkpoint: `${base}/stall`, vocab: 'clip' } });
      expect(b).toMatchObject({ ok: false, error: { code: 'conflict' } });
      const jobId = (a as { result: { jobId: string } }).result.jobId;
      expect(await svc.handlers['models.cancelInstall']({ jobId })).toEqual({ cancelled: true });
    } finally {
      await svc.close();
    }
  }, 20_000);
});
