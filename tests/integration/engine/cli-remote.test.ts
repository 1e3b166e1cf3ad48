// CLI client mode over a real bridge (loopback HTTP, real service on the tiny pack): with a bridge file in
// the data folder (owner-only) the CLI's searches are answered by the running service, with the same
// results as a cold start; a wrong token, a bridge that no longer listens or no file means a cold start.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResult } from '../../../app/api/contract.js';
import { main } from '../../../app/cli.js';
import { ModelRegistry } from '../../../app/model/registry.js';
import { startServer, type BridgeService, type RunningServer } from '../../../app/server.js';
import { bridgeFilePath, readBridgeFile, removeBridgeFile, writeBridgeFile } from '../../../app/server/bridge-file.js';
import type { EngineService } from '../../../app/service.js';
import { dataDirWithTinyPack, emptyBundledDir, tempDir, tinyService, writePhoto } from '../../helpers/engine.js';

const root = tempDir('ml-cli-remote-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function cli(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = new Writable({ write(c: Buffer, _e, cb) { out += c.toString(); cb(); } });
  const e = new Writable({ write(c: Buffer, _e, cb) { err += c.toString(); cb(); } });
  const code = await main(['--json', ...args], { out: o, err: e, env: { MAGICLENS_HOME: dataDir, ...env } });
  return { code, out, err };
}

const ids = (r: SearchResult) => r.hits.map((h) => [h.photo.id, Number(h.score.toFixed(5))]);

describe('CLI client mode', async () => {
  const dataDir = await dataDirWithTinyPack(root);
  let svc: EngineService;
  let srv: RunningServer;
  const calls: string[] = [];
  const lib = path.join(root, 'lib');
  beforeAll(async () => {
    if (!dataDir) return;
    const reg = new ModelRegistry(dataDir, emptyBundledDir(root));
    reg.setActive(reg.list()[0]!.id);
    for (let i = 0; i < 6; i++) await writePhoto(path.join(lib, `p${i}.jpg`), 300 + i);
    svc = (await tinyService(root))!;
    await svc.handlers['folders.add']({ path: lib, exclude: [] } as never);
    await svc.whenIdle();
    // the real handlers, counted: which calls reached the running service
    const handlers = new Proxy(svc.handlers, { get: (t, k) => { calls.push(String(k)); return t[k as keyof typeof t]; } });
    const bridged: BridgeService = { handlers, onEvent: (l) => svc.onEvent(l), imageFile: (id, kind) => svc.imageFile(id, kind) };
    srv = await startServer({ service: bridged });
  }, 120_000);
  afterAll(async () => {
    await srv?.close();
    await svc?.close();
  });

  it.skipIf(!dataDir)('uses the running service when its bridge file answers; same results as a cold start', async () => {
    writeBridgeFile(dataDir!, { url: `http://127.0.0.1:${srv.port}`, port: srv.port, token: srv.token, pid: process.pid });
    if (process.platform !== 'win32') expect(fs.statSync(bridgeFilePath(dataDir!)).mode & 0o777).toBe(0o600);
    calls.length = 0;
    const text = await cli(dataDir!, ['search', '--text', 'a red dress']);
    expect(text.code, text.err).toBe(0);
    expect(calls).toContain('search.text');
    const photo = path.join(lib, 'p2.jpg');
    const compose = await cli(dataDir!, ['search', '--photo', photo, '--instruction', 'the same but at night']);
    expect(compose.code, compose.err).toBe(0);
    expect(calls).toContain('search.compose');
    const n = calls.length;
    const coldText = await cli(dataDir!, ['search', '--text', 'a red dress'], { MAGICLENS_REMOTE: '0' });
    const coldCompose = await cli(dataDir!, ['search', '--photo', photo, '--instruction', 'the same but at night'], { MAGICLENS_REMOTE: '0' });
    expect(calls.length).toBe(n); // answered in-process
    expect(ids(JSON.parse(text.out))).toEqual(ids(JSON.parse(coldText.out)));
    expect(ids(JSON.parse(compose.out))).toEqual(ids(JSON.parse(coldCompose.out)));
    expect((JSON.parse(compose.out) as SearchResult).hits.length).toBeGreaterThan(0);
    // an API error from the service is reported, not turned into a cold start
    const bad = await cli(dataDir!, ['search', '--photo', '999999', '--instruction', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/not_found|no photo/i);
  });

  it.skipIf(!dataDir)('a wrong token, a bridge that stopped listening, or no file: the CLI starts cold', async () => {
    writeBridgeFile(dataDir!, { url: `http://127.0.0.1:${srv.port}`, port: srv.port, token: 'f'.repeat(64), pid: process.pid });
    calls.length = 0;
    const wrong = await cli(dataDir!, ['search', '--text', 'a dog']);
    expect(wrong.code, wrong.err).toBe(0);
    expect(calls).not.toContain('search.text');
    const other = await startServer({ service: { handlers: svc.handlers, onEvent: (l) => svc.onEvent(l), imageFile: (id, k) => svc.imageFile(id, k) } });
    const port = other.port;
    await other.close();
    writeBridgeFile(dataDir!, { url: `http://127.0.0.1:${port}`, port, token: srv.token, pid: process.pid });
    expect((await cli(dataDir!, ['search', '--text', 'a dog'])).code).toBe(0);
    // a file left by another process is not removed by this one; this process's own is
    removeBridgeFile(dataDir!, process.pid + 1);
    expect(readBridgeFile(dataDir!)).not.toBeNull();
    removeBridgeFile(dataDir!);
    expect(fs.existsSync(bridgeFilePath(dataDir!))).toBe(false);
    expect((await cli(dataDir!, ['search', '--text', 'a dog'])).code).toBe(0);
    expect(calls).not.toContain('search.text');
  });
});
