// The utility-process host (main/service-host.ts) over real MessagePorts (node:worker_threads),
// wrapped to look like Electron's parentPort/MessagePortMain ({ data, ports } events), hosting the
// real service: ready, calls through the contract dispatcher, image paths, roots, events, and
// messages that fail the host schema being ignored.
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../../app/service.js';
import { FromHost } from '../../../main/host-protocol.js';
import { runHost } from '../../../main/service-host.js';
import { dataDirWithTinyPack, emptyBundledDir, SKIP_NO_SHARED, tempDir, writePhoto } from '../../helpers/engine.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

type Ev = { data: unknown; ports?: unknown[] };
const electronish = (p: MessagePort) => ({
  on: (_: 'message', l: (e: Ev) => void) => void p.on('message', (data) => l({ data })),
  postMessage: (m: unknown) => p.postMessage(m),
  start: () => p.start(),
});

if (!goldenDir()) console.warn(`service-host skipped: ${SKIP_NO_SHARED}`);

describe.skipIf(!goldenDir())('service host (utility process entry)', () => {
  let root: string;
  let svc: Service | null = null;
  let main: MessagePort;
  const received: FromHost[] = [];
  let exited: number | null = null;

  /** The first message matching `pred` among those received from index `from` on. */
  const next = async (pred: (m: FromHost) => boolean, from = 0): Promise<FromHost> => {
    for (let i = 0; i < 1200; i++) {
      const m = received.slice(from).find(pred);
      if (m) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('no such message from the host');
  };

  beforeAll(async () => {
    root = tempDir('ml-host-');
    const dataDir = (await dataDirWithTinyPack(root))!;
    const { port1, port2 } = new MessageChannel();
    main = port1;
    main.on('message', (m) => {
      const parsed = FromHost.safeParse(m);
      if (!parsed.success) throw new Error(`host sent an invalid message: ${JSON.stringify(m)}`);
      received.push(parsed.data);
    });
    const parentListeners: ((e: Ev) => void)[] = [];
    const parent = { on: (_: 'message', l: (e: Ev) => void) => void parentListeners.push(l), postMessage: () => undefined };
    const running = runHost(parent as unknown as Parameters<typeof runHost>[0], ['node', 'host', `--data-dir=${dataDir}`, `--bundled-packs=${emptyBundledDir(root)}`], (c) => void (exited = c));
    // What main does: hand the host its port.
    for (const l of parentListeners) l({ data: { type: 'port' }, ports: [electronish(port2)] });
    svc = await running;
  });
  afterAll(async () => {
    main?.close();
    await svc?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('announces itself ready and answers calls through the contract', async () => {
    expect(svc).not.toBeNull();
    await next((m) => m.type === 'ready');
    main.postMessage({ type: 'call', callId: 1, envelope: { id: 'a', method: 'status.get' } });
    const r = await next((m) => m.type === 'response' && m.callId === 1);
    expect(r).toMatchObject({ envelope: { id: 'a', ok: true, result: { model: { id: 'magiclens-tiny-golden' } } } });
    main.postMessage({ type: 'call', callId: 2, envelope: { id: 'b', method: 'folders.add', params: { path: 5 } } });
    expect(await next((m) => m.type === 'response' && m.callId === 2)).toMatchObject({ envelope: { ok: false, error: { code: 'invalid_request' } } });
  });

  it('ignores messages that fail the host schema, and keeps serving', async () => {
    const before = received.length;
    main.postMessage({ type: 'eval', code: 'process.exit(1)' });
    main.postMessage({ type: 'call', callId: -1, envelope: { id: 1, method: 'status.get' } });
    main.postMessage('garbage');
    main.postMessage({ type: 'close', now: true }); // extra key: not a valid close
    main.postMessage({ type: 'call', callId: 3, envelope: { id: 'c', method: 'folders.list' } });
    await next((m) => m.type === 'response' && m.callId === 3);
    expect(received.slice(before).filter((m) => m.type === 'response').map((m) => (m as { callId: number }).callId)).toEqual([3]);
    expect(exited).toBeNull();
  });

  it('resolves image files and roots, and relays service events', async () => {
    const photos = path.join(root, 'pics');
    await writePhoto(path.join(photos, 'a.jpg'), 3, { width: 64, height: 48 });
    const mark = received.length;
    main.postMessage({ type: 'call', callId: 4, envelope: { id: 'd', method: 'folders.add', params: { path: photos } } });
    await next((m) => m.type === 'response' && m.callId === 4, mark);
    // Indexed: an idle progress event after this folder's photo was done.
    await next((m) => m.type === 'event' && m.event === 'index.progress' && (m.data as { state: string; done: number }).state === 'idle' && (m.data as { done: number }).done > 0, mark);
    main.postMessage({ type: 'roots', callId: 5 });
    const roots = await next((m) => m.type === 'roots' && m.callId === 5);
    expect(roots).toMatchObject({ folders: [photos] });
    main.postMessage({ type: 'call', callId: 6, envelope: { id: 'e', method: 'photos.list', params: {} } });
    const list = (await next((m) => m.type === 'response' && m.callId === 6)) as { envelope: { result: { items: { id: number }[] } } };
    const id = list.envelope.result.items[0]!.id;
    main.postMessage({ type: 'image', callId: 7, photoId: id, kind: 'full' });
    expect(await next((m) => m.type === 'image' && m.callId === 7)).toMatchObject({ ok: true, path: fs.realpathSync(path.join(photos, 'a.jpg')), contentType: 'image/jpeg' });
    main.postMessage({ type: 'image', callId: 8, photoId: 999_999, kind: 'thumb' });
    expect(await next((m) => m.type === 'image' && m.callId === 8)).toMatchObject({ ok: false });
  });

  it('closes the service and exits on close', async () => {
    main.postMessage({ type: 'close' });
    for (let i = 0; i < 200 && exited === null; i++) await new Promise((r) => setTimeout(r, 25));
    expect(exited).toBe(0);
    svc = null; // closed by the host
  });
});
