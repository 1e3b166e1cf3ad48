// POST /upload/checkpoint over a real loopback bridge and the real service: the tiny golden checkpoint
// (official Flax pickle format) picked in the browser is streamed to the data folder's one fixed
// upload file, installed through the same installer as a chosen local file (converted, verified,
// manifest records its size and sha256) and removed afterwards. Oversized, empty, non-pickle,
// broken, interrupted, unauthenticated and concurrent uploads are refused with nothing left behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventData } from '../../../app/api/contract.js';
import { InstallLock, uploadedCheckpointPath } from '../../../app/model/install-inputs.js';
import { startServer, type RunningServer } from '../../../app/server.js';
import { createService, type EngineService } from '../../../app/service.js';
import { emptyBundledDir, tempDir, waitFor } from '../../helpers/engine.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const root = tempDir('ml-upload-');
const data = path.join(root, 'data');
let svc: EngineService;
let srv: RunningServer;
let ck: Buffer;
const progress: EventData<'models.installProgress'>[] = [];

type Reply = { status: number; body: { ok?: boolean; result?: { jobId: string }; error?: { code: string; message: string } } | null };

/** One POST; `chunks` are written one by one (no Content-Length: chunked) unless `length` is given. */
function post(s: RunningServer, chunks: Buffer[], opts: { length?: number; token?: string | null; type?: string; abortAfter?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'Content-Type': opts.type ?? 'application/octet-stream' };
    if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? s.token}`;
    if (opts.length !== undefined) headers['Content-Length'] = String(opts.length);
    const req = http.request({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/upload/checkpoint', headers }, (res) => {
      const got: Buffer[] = [];
      res.on('data', (c: Buffer) => got.push(c));
      res.on('end', () => {
        const text = Buffer.concat(got).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Reply['body']) : null });
      });
    });
    // a server that answers early (413) may close the connection before the whole body is sent
    req.on('error', (e) => (opts.abortAfter !== undefined ? resolve({ status: 0, body: null }) : reject(e)));
    chunks.forEach((c, i) => {
      if (opts.abortAfter === i) req.destroy();
      else if (!req.destroyed) req.write(c);
    });
    if (!req.destroyed) req.end();
  });
}

const split = (b: Buffer, n: number) => Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, (i + 1) * n));
const leftovers = () => {
  const up = path.dirname(uploadedCheckpointPath(data));
  const ls = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  // the upload folder, the install lock, and the registry's temp folders (.converting-*, .installing-*)
  return [...ls(up), ...ls(data).filter((f) => f === 'install.lock'), ...ls(path.join(data, 'models')).filter((f) => f.startsWith('.'))];
};
const installed = async () => (await svc.handlers['models.list']({})).filter((m) => !m.bundled).map((m) => m.id);

beforeAll(async () => {
  if (!G) return;
  ck = fs.readFileSync(path.join(G, 'tiny_checkpoint.pkl'));
  svc = await createService({ dataDir: data, bundledPacksDir: emptyBundledDir(root), watch: false, threads: 1 });
  srv = await startServer({ service: svc });
  svc.onEvent((e) => {
    if (e.event === 'models.installProgress') progress.push(e.data as EventData<'models.installProgress'>);
  });
});
afterAll(async () => {
  await srv?.close();
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function jobEnd(jobId: string): Promise<EventData<'models.installProgress'>> {
  await waitFor(() => progress.some((p) => p.jobId === jobId && (p.phase === 'done' || p.phase === 'error')), 120_000, `install job ${jobId}`);
  return progress.find((p) => p.jobId === jobId && (p.phase === 'done' || p.phase === 'error'))!;
}

describe.skipIf(!G)('uploading the checkpoint through the bridge', () => {
  it('refuses without the token, without the right type, or while an install holds the lock: nothing written', async () => {
    expect((await post(srv, [ck.subarray(0, 1000)], { token: null })).status).toBe(401);
    expect((await post(srv, [ck.subarray(0, 1000)], { token: 'x'.repeat(64) })).status).toBe(401);
    expect((await post(srv, [ck.subarray(0, 1000)], { type: 'multipart/form-data' })).status).toBe(415);
    const lock = InstallLock.acquire(data);
    try {
      const r = await post(srv, split(ck, 65536));
      expect(r.status).toBe(409);
      expect(r.body?.error?.code).toBe('conflict');
    } finally {
      lock.release();
    }
    expect(leftovers()).toEqual([]);
    expect(await installed()).toEqual([]);
  });

  it('refuses oversized uploads with 413, whether declared or streamed: nothing left behind', async () => {
    const small = await startServer({ service: svc, maxUploadBytes: ck.length - 1 });
    try {
      const declared = await post(small, [ck.subarray(0, 4096)], { length: ck.length, abortAfter: 1 });
      expect(declared.status).toBe(413);
      const streamed = await post(small, split(ck, 65536));
      expect(streamed.status).toBe(413);
      expect(streamed.body?.error?.message).toMatch(/larger than/);
    } finally {
      await small.close();
    }
    // the real cap: the installer's limit for a checkpoint (4 GiB), answered before any byte is stored
    const huge = await post(srv, [ck.subarray(0, 4096)], { length: 5 * 2 ** 30, abortAfter: 1 });
    expect(huge.status).toBe(413);
    expect(leftovers()).toEqual([]);
    expect(await installed()).toEqual([]);
  });

  it('refuses empty and non-pickle uploads at once, and a broken pickle fails its install: nothing left behind', async () => {
    expect((await post(srv, [])).status).toBe(400);
    const jpeg = await post(srv, [Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(5000)]);
    expect(jpeg.status).toBe(400);
    expect(jpeg.body?.error?.message).toMatch(/not a pickle/);
    const broken = await post(srv, [Buffer.from([0x80, 0x02]), crypto.randomBytes(20000)]);
    expect(broken.status).toBe(202);
    const end = await jobEnd(broken.body!.result!.jobId);
    expect(end.phase).toBe('error');
    await waitFor(() => leftovers().length === 0, 10_000, 'the failed install cleaned up');
    expect(await installed()).toEqual([]);
  });

  it('an upload interrupted mid-file leaves no partial file', async () => {
    const chunks = split(ck, 65536);
    await post(srv, chunks, { length: ck.length, abortAfter: Math.floor(chunks.length / 2) });
    await waitFor(() => leftovers().length === 0, 10_000, 'the partial upload removed');
    expect(await installed()).toEqual([]);
  });

  it('installs the uploaded golden checkpoint with the same installer as a local file, then removes the copy', async () => {
    const r = await post(srv, split(ck, 65536));
    expect(r.status).toBe(202);
    const end = await jobEnd(r.body!.result!.jobId);
    expect(end.phase, end.message ?? '').toBe('done');
    const ids = await installed();
    expect(ids).toHaveLength(1);
    expect(end.message).toContain(ids[0]);
    const manifest = JSON.parse(fs.readFileSync(path.join(data, 'models', ids[0]!, 'manifest.json'), 'utf8')) as { checkpoint: { file: string; bytes: number; sha256: string } };
    expect(manifest.checkpoint).toEqual({ file: 'uploaded-checkpoint.pkl', bytes: ck.length, sha256: crypto.createHash('sha256').update(ck).digest('hex') });
    expect(leftovers()).toEqual([]);
    // the new pack runs: the service switched to it (the library is empty, nothing to re-embed)
    await waitFor(async () => (await svc.handlers['status.get']({})).model?.id === ids[0], 30_000, 'switched to the uploaded model');
    const q = await svc.handlers['search.text']({ text: 'red', offset: 0, limit: 5, filters: {} });
    expect(q.modelId).toBe(ids[0]);
  });
});
