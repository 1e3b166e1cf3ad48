// Every download failure class against a loopback server, through the installer as the app uses it
// (catalogue id "base", base URL pointed at the server): the right message with the fallback (the
// Drive folder, or pick the .pkl), nothing installed, and no stray files (a dropped download keeps
// only its .part for resume).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL_ENV } from '../../../app/model/catalogue.js';
import { download, DownloadError } from '../../../app/model/download.js';
import { installOfficialModel } from '../../../app/model/install.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dlfail-'));
let mode: 'ok' | '401' | '403' | '404' | 'drop' = 'ok';
let ck: Buffer;

function leftovers(data: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(data, p));
    }
  };
  if (fs.existsSync(data)) walk(data);
  return out.sort();
}

describe.skipIf(!G)('download failures: one clear message per class, nothing installed, no stray files', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    ck = fs.readFileSync(path.join(G!, 'tiny_checkpoint.pkl'));
    server = http.createServer((req, res) => {
      if (mode === '401' || mode === '403' || mode === '404') { res.writeHead(Number(mode)); res.end(); return; }
      if (mode === 'drop') {
        // every response announces the whole file and stops after 100 KB: resuming never completes
        const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
        res.writeHead(start ? 206 : 200, { 'content-length': ck.length - start, ...(start ? { 'content-range': `bytes ${start}-${ck.length - 1}/${ck.length}` } : {}) });
        res.write(ck.subarray(start, start + 100_000), () => res.destroy());
        return;
      }
      res.writeHead(200, { 'content-length': ck.length });
      res.end(ck);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    process.env[BASE_URL_ENV] = `${base}/models/`;
  });
  afterAll(async () => {
    delete process.env[BASE_URL_ENV];
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function failInstall(name: string): Promise<{ err: DownloadError; data: string }> {
    const data = path.join(tmp, name);
    const err = await installOfficialModel({ dataDir: data, checkpoint: 'base', vocab: 'clip' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    // the fallback is offered with every failure of the official download
    expect((err as Error).message).toMatch(/Google Drive folder linked from https:\/\/github\.com\/google-deepmind\/magiclens/);
    expect((err as Error).message).toMatch(/pick the downloaded \.pkl/);
    expect(fs.existsSync(path.join(data, 'install.lock'))).toBe(false);
    return { err: err as DownloadError, data };
  }

  it.each([['401', 'auth', /refused access .*HTTP 401/], ['403', 'auth', /refused access .*HTTP 403/], ['404', 'not-found', /nothing at .*magic_lens_clip_base\.pkl \(HTTP 404/]] as const)(
    'HTTP %s', async (status, kind, message) => {
      mode = status;
      const { err, data } = await failInstall(`http-${status}`);
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(message);
      expect(leftovers(data)).toEqual([]);
    });

  it('offline (connection refused)', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    process.env[BASE_URL_ENV] = `http://127.0.0.1:${port}/models/`;
    try {
      const { err, data } = await failInstall('offline');
      expect(err.kind).toBe('offline');
      expect(err.message).toMatch(/cannot reach 127\.0\.0\.1:\d+: ECONNREFUSED; this computer may be offline/);
      expect(leftovers(data)).toEqual([]);
    } finally {
      process.env[BASE_URL_ENV] = `${base}/models/`;
    }
  });

  it('truncated: resumed with Range up to 4 times, then a clear message; only the .part stays, for the next try', async () => {
    mode = 'drop';
    const { err, data } = await failInstall('truncated');
    expect(err.kind).toBe('truncated');
    expect(err.message).toMatch(/partial file kept for resume/);
    expect(leftovers(data)).toEqual(['downloads/magic_lens_clip_base.pkl.part', 'downloads/magic_lens_clip_base.pkl.src']);
    // four tries of 100 KB each, appended, not restarted
    expect(fs.statSync(path.join(data, 'downloads/magic_lens_clip_base.pkl.part')).size).toBe(400_000);
    // the next install resumes from there and completes
    mode = 'ok';
    const s = await installOfficialModel({ dataDir: data, checkpoint: 'base', vocab: 'clip' });
    expect(s.demo).toBe(false);
    const manifest = JSON.parse(fs.readFileSync(path.join(s.dir, 'manifest.json'), 'utf8')) as { checkpoint: { file: string; bytes: number; sha256: string } };
    expect(manifest.checkpoint).toMatchObject({ file: 'magic_lens_clip_base.pkl', bytes: ck.length });
    expect(manifest.checkpoint.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(leftovers(data).filter((f) => f.startsWith('downloads/'))).toEqual([]);
  }, 60_000);

  it('checksum: a vocabulary that is not the CLIP file is deleted, nothing installed', async () => {
    mode = 'ok';
    const data = path.join(tmp, 'checksum');
    const err = await installOfficialModel({ dataDir: data, checkpoint: 'base', vocab: `${base}/vocab/bpe_simple_vocab_16e6.txt.gz` }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).kind).toBe('checksum');
    expect((err as Error).message).toMatch(/has sha256 [0-9a-f]{64}, expected 924691ac.*the file was deleted/);
    // the bad vocabulary is gone; the complete checkpoint stays for the next try (not downloaded twice)
    expect(leftovers(data)).toEqual(['downloads/magic_lens_clip_base.pkl', 'downloads/magic_lens_clip_base.pkl.src']);
  }, 30_000);

  it('disk full: refused before a byte is written when the disk lacks room for the file and its conversion', async () => {
    mode = 'ok';
    const dest = path.join(tmp, 'disk', 'magic_lens_clip_base.pkl');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const err = await download(`${base}/models/magic_lens_clip_base.pkl`, dest, { extraSpace: (t) => 2 * t, freeSpace: () => 2 * ck.length }).then(() => null, (e: unknown) => e);
    expect((err as DownloadError).kind).toBe('disk-full');
    expect((err as Error).message).toMatch(/not enough free disk space .*: 10\.\d MB needed, 7\.\d MB free/);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
  });
});
