// Oversized request bodies over a real loopback socket: the client must receive the 413 JSON
// answer, not a TCP reset, whether the size is declared up front or only discovered while reading.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../app/server.js';
import { MAX_BODY_BYTES } from '../../../app/server/guards.js';
import { bridgeService } from '../../helpers/bridge-service.js';

let tmp: string;
let srv: RunningServer;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ml-body-'));
  const svc = bridgeService({ 'folders.list': async () => [] }, async () => { throw new Error('no media here'); });
  srv = await startServer({ service: svc, staticDir: tmp });
});

afterAll(async () => {
  await srv?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Sends `bytes` of body in 64 KiB writes (chunked unless a length is declared) and collects the answer. */
function post(bytes: number, declareLength: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: `127.0.0.1:${srv.port}`, 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}` };
    if (declareLength) headers['Content-Length'] = String(bytes);
    const req = http.request({ host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('request body limit', () => {
  it('answers a 10 MB body with a 413 JSON envelope when the length is declared', async () => {
    const r = await post(10 * 1024 * 1024, true);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('answers a 10 MB chunked body (size found while reading) with a 413, not a reset', async () => {
    const r = await post(10 * 1024 * 1024, false);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error.message).toContain(String(MAX_BODY_BYTES));
  });

  it('still serves a request on a new connection afterwards', async () => {
    const r = await post(0, true).catch((e: Error) => ({ status: -1, body: e.message }));
    // an empty body is not JSON: the bridge is alive and answers 400
    expect(r.status).toBe(400);
  });
});
