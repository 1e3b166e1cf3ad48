// The supervisor over the real service host (main/service-host.ts runHost, the real service on a
// real data folder) with the stand-in the host tests use: node MessagePorts shaped like Electron's.
// A "crash" cuts the port and reports an exit, as a dead utility process would; the supervisor
// must reject the call in flight, start a fresh host on the same data folder, and the library
// must still be there.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { Service } from '../../../app/service.js';
import { HostSupervisor, type HostChild } from '../../../main/host-core.js';
import { runHost } from '../../../main/service-host.js';
import { dataDirWithTinyPack, emptyBundledDir, SKIP_NO_SHARED, tempDir } from '../../helpers/engine.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

type Ev = { data: unknown; ports?: unknown[] };
const electronish = (p: MessagePort) => ({
  on: (_: 'message', l: (e: Ev) => void) => void p.on('message', (data) => l({ data })),
  postMessage: (m: unknown) => p.postMessage(m),
  start: () => p.start(),
});

if (!goldenDir()) console.warn(`host restart over the real service skipped: ${SKIP_NO_SHARED}`);

describe.skipIf(!goldenDir())('supervisor over the real service host', () => {
  const root = tempDir('ml-restart-');
  const services: Promise<Service | null>[] = [];
  let sever: (() => void) | null = null;
  let crash: (() => Promise<void>) | null = null;
  let sup: HostSupervisor | null = null;
  afterAll(async () => {
    sup?.close(0);
    for (const s of services) await (await s)?.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('restarts a crashed host on the same library and rejects the call in flight', async () => {
    const dataDir = (await dataDirWithTinyPack(root))!;
    const argv = ['node', 'host', `--data-dir=${dataDir}`, `--bundled-packs=${emptyBundledDir(root)}`];
    const spawn = (): HostChild => {
      const { port1, port2 } = new MessageChannel();
      const exitListeners: ((c: number | null) => void)[] = [];
      const parentListeners: ((e: Ev) => void)[] = [];
      const parent = { on: (_: 'message', l: (e: Ev) => void) => void parentListeners.push(l), postMessage: () => undefined };
      const running = runHost(parent as never, argv, (c) => exitListeners.forEach((l) => l(c)));
      for (const l of parentListeners) l({ data: { type: 'port' }, ports: [electronish(port2)] });
      const index = services.push(running) - 1;
      // In one process the service must not be closed under a running request, so the port is cut
      // first (the call in flight is one the host never receives), then the service goes, then "exit".
      sever = () => port2.close();
      crash = async () => {
        await (await running)?.close();
        services[index] = Promise.resolve(null);
        exitListeners.forEach((l) => l(139));
      };
      return { port: { on: (_e, l) => void port1.on('message', (data) => l({ data })), postMessage: (m) => port1.postMessage(m) }, onExit: (l) => void exitListeners.push(l), kill: () => void crash?.() };
    };
    sup = new HostSupervisor({ spawn, timeoutMs: 30_000, backoffMs: () => 50, validateResults: true });
    await sup.ready;
    const pics = path.join(root, 'pics');
    fs.mkdirSync(pics);
    expect(await sup.call({ id: 1, method: 'folders.add', params: { path: pics } })).toMatchObject({ ok: true, result: { path: pics } });

    sever!();
    const inFlight = sup.call({ id: 2, method: 'status.get' });
    await crash!();
    expect(await inFlight).toMatchObject({ id: 2, ok: false, error: { code: 'unavailable', message: 'the library service stopped (exit code 139)' } });
    await expect.poll(() => sup!.current.state, { timeout: 20_000 }).toBe('running');
    expect(await sup.call({ id: 3, method: 'folders.list' })).toMatchObject({ ok: true, result: [{ path: pics }] });
    expect(await sup.call({ id: 4, method: 'status.get' })).toMatchObject({ ok: true, result: { model: { id: 'magiclens-tiny-golden' } } });
    expect(services).toHaveLength(2);
  }, 60_000);
});
