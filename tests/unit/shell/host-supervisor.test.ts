// The service host supervisor (main/host-core.ts) with real worker threads standing in for
// Electron's utility process: a real MessagePort handed over, a real thread that really exits.
// On the old host a call in flight when the process died never settled; here it is rejected
// with a clear error, new calls are refused while it is down, the process is restarted with
// back-off and the state changes reach listeners (the renderer's banner); a wedged process
// times out; a result that breaks the contract is caught in debug builds.
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { validateEvent } from '../../../main/ipc-adapter.js';
import { checkResult, HostSupervisor, type HostChild, type ServiceState, type SupervisorOptions } from '../../../main/host-core.js';

// A minimal host speaking main/host-protocol.ts: status.get answers, 'crash' exits the thread
// mid-call, 'hang' never answers, 'badResult' answers something that breaks the contract.
const HOST_JS = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.once('message', ({ port }) => {
  port.on('message', (m) => {
    if (m.type === 'roots') return port.postMessage({ type: 'roots', callId: m.callId, folders: ['/pics'], dataDir: '/data' });
    if (m.type !== 'call') return;
    const method = m.envelope.method;
    if (method === 'folders.remove') process.exit(3);
    if (method === 'index.pause') return;
    const result = method === 'settings.get' ? { threads: 'many' } : { generation: workerData.generation };
    port.postMessage({ type: 'response', callId: m.callId, envelope: { id: m.envelope.id, ok: true, result } });
  });
  setTimeout(() => port.postMessage({ type: 'ready' }), workerData.bootMs);
});`;

function workerSpawn(opts: { bootMs?: number } = {}) {
  const spawned: Worker[] = [];
  const spawn = (): HostChild => {
    const w = new Worker(HOST_JS, { eval: true, workerData: { generation: spawned.length + 1, bootMs: opts.bootMs ?? 0 } });
    spawned.push(w);
    const { port1, port2 } = new MessageChannel();
    w.postMessage({ port: port2 }, [port2]);
    return {
      // Electron's MessagePortMain delivers { data }; node's port delivers the data itself.
      port: { on: (_e, l) => void port1.on('message', (data) => l({ data })), postMessage: (m) => port1.postMessage(m), close: () => port1.close() },
      onExit: (l) => void w.on('exit', (code) => (port1.close(), l(code))),
      kill: () => void w.terminate(),
    };
  };
  return { spawn, spawned };
}

let sup: HostSupervisor | null = null;
afterEach(async () => {
  sup?.close(0);
  sup = null;
});

function start(o: Partial<SupervisorOptions> & Pick<SupervisorOptions, 'spawn'>) {
  const states: ServiceState[] = [];
  sup = new HostSupervisor({ timeoutMs: 2000, backoffMs: (n) => 50 * n, ...o });
  sup.onState((s) => states.push(s));
  return { sup, states };
}

describe('service host supervisor', () => {
  it('answers calls queued while the process starts', async () => {
    const { sup } = start({ spawn: workerSpawn({ bootMs: 100 }).spawn });
    const early = sup.call({ id: 1, method: 'status.get' });
    expect(await early).toEqual({ id: 1, ok: true, result: { generation: 1 } });
    expect(await sup.roots()).toEqual({ folders: ['/pics'], dataDir: '/data' });
  });

  it('rejects the in-flight call when the process dies, refuses new calls, restarts and tells listeners', async () => {
    const w = workerSpawn();
    const { sup, states } = start({ spawn: w.spawn });
    await sup.ready;
    const t0 = Date.now();
    const dying = await sup.call({ id: 2, method: 'folders.remove', params: { id: 1 } });
    expect(Date.now() - t0).toBeLessThan(1500); // settled by the exit, not by the 2 s timeout
    expect(dying).toEqual({ id: 2, ok: false, error: { code: 'unavailable', message: 'the library service stopped (exit code 3)' } });
    expect(await sup.call({ id: 3, method: 'status.get' })).toMatchObject({ id: 3, ok: false, error: { code: 'unavailable', message: expect.stringMatching(/restarting/) } });
    await expect(sup.imageFile(1, 'thumb')).rejects.toThrow(/restarting/);
    await expect.poll(() => sup.current.state).toBe('running');
    expect(await sup.call({ id: 4, method: 'status.get' })).toEqual({ id: 4, ok: true, result: { generation: 2 } });
    expect(states.map((s) => [s.state, s.attempt])).toEqual([['running', 0], ['restarting', 1], ['running', 1]]);
    expect(states[1]!.message).toBe('the library service stopped (exit code 3)');
    // What main sends the window for the banner passes the contract's event check.
    expect(validateEvent({ event: 'service.state', data: states[1] })).toEqual({ event: 'service.state', data: { state: 'restarting', attempt: 1, message: 'the library service stopped (exit code 3)' } });
    expect(w.spawned).toHaveLength(2);
  });

  it('backs off between restarts and gives up after repeated quick crashes', async () => {
    const w = workerSpawn();
    const waits: number[] = [];
    const { sup, states } = start({ spawn: w.spawn, maxRestarts: 2, backoffMs: (n) => (waits.push(n), 20 * n) });
    for (let i = 0; i < 3; i++) {
      await expect.poll(() => sup.current.state).toBe('running');
      await sup.call({ id: i, method: 'folders.remove', params: { id: 1 } });
    }
    expect(sup.current.state).toBe('stopped');
    expect(sup.current.message).toMatch(/keeps stopping/);
    expect(waits).toEqual([1, 2]);
    expect(await sup.call({ id: 9, method: 'status.get' })).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringMatching(/keeps stopping/) } });
    expect(w.spawned).toHaveLength(3);
    expect(states.at(-1)!.state).toBe('stopped');
  });

  it('times out a request the process never answers, and keeps serving', async () => {
    const { sup } = start({ spawn: workerSpawn().spawn, timeoutMs: 200 });
    await sup.ready;
    expect(await sup.call({ id: 5, method: 'index.pause' })).toEqual({ id: 5, ok: false, error: { code: 'unavailable', message: 'the library service did not answer index.pause within 200 ms' } });
    expect(await sup.call({ id: 6, method: 'status.get' })).toMatchObject({ ok: true });
  });

  it('rejects the first start when the process dies before it is ready', async () => {
    const failing = (): HostChild => {
      const w = new Worker('process.exit(7)', { eval: true });
      return { port: { on: () => undefined, postMessage: () => undefined }, onExit: (l) => void w.on('exit', l), kill: () => void w.terminate() };
    };
    const { sup } = start({ spawn: failing, maxRestarts: 0 });
    await expect(sup.ready).rejects.toThrow('the library service stopped (exit code 7)');
    expect(sup.current.state).toBe('stopped');
  });

  it('checks results against the contract per method when asked (debug builds)', async () => {
    const { sup } = start({ spawn: workerSpawn().spawn, validateResults: true });
    await sup.ready;
    expect(await sup.call({ id: 7, method: 'settings.get' })).toMatchObject({ id: 7, ok: false, error: { code: 'internal', message: expect.stringMatching(/^settings\.get returned a result that fails its schema/) } });
    const good = { threads: 4, providers: ['cpu'], theme: 'dark', sketchInstruction: 'a photo' };
    expect(checkResult('settings.get', { id: 8, ok: true, result: good })).toEqual({ id: 8, ok: true, result: good });
    expect(checkResult('settings.get', { id: 9, ok: false, error: { code: 'not_found', message: 'x' } })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
