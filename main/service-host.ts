// Entry point of the Electron utility process: hosts app/service (SQLite, ONNX Runtime, sharp)
// off the main process and relays contract envelopes over the MessagePort main hands it.
// Runs under Electron's utility process (process.parentPort), never in the renderer.
import { dispatch } from '../app/api/contract.js';
import { createService, type Service } from '../app/service.js';
import { FromHost, ToHost } from './host-protocol.js';

interface PortLike {
  on(event: 'message', listener: (e: { data: unknown; ports?: PortLike[] }) => void): void;
  postMessage(message: unknown): void;
  start?(): void;
}

function arg(argv: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** Runs the host on `parent` (Electron's process.parentPort); resolves once it is serving. */
export async function runHost(parent: PortLike, argv: readonly string[] = process.argv, exit: (code: number) => void = (c) => process.exit(c)): Promise<Service | null> {
  const dataDir = arg(argv, 'data-dir');
  if (!dataDir) throw new Error('service host needs --data-dir');
  const bundled = arg(argv, 'bundled-packs');
  let service: Service;

  const port = await new Promise<PortLike>((resolve) => {
    parent.on('message', (e) => {
      const p = e.ports?.[0];
      if (p) resolve(p);
    });
  });
  const send = (m: FromHost) => port.postMessage(FromHost.parse(m));

  try {
    service = await createService({ dataDir, ...(bundled ? { bundledPacksDir: bundled } : {}) });
  } catch (err) {
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    return null;
  }
  const svc = service;
  svc.onEvent((e) => send({ type: 'event', event: e.event, data: e.data }));

  port.on('message', (e) => {
    const parsed = ToHost.safeParse(e.data);
    if (!parsed.success) return; // not ours: ignore rather than crash the host
    const m = parsed.data;
    void (async () => {
      switch (m.type) {
        case 'call':
          send({ type: 'response', callId: m.callId, envelope: await dispatch(svc.handlers, m.envelope) });
          break;
        case 'image':
          try {
            const f = await svc.imageFile(m.photoId, m.kind);
            send({ type: 'image', callId: m.callId, ok: true, path: f.path, contentType: f.contentType });
          } catch (err) {
            send({ type: 'image', callId: m.callId, ok: false, error: err instanceof Error ? err.message : String(err) });
          }
          break;
        case 'roots': {
          const [folders, status] = await Promise.all([svc.handlers['folders.list']({}), svc.handlers['status.get']({})]);
          send({ type: 'roots', callId: m.callId, folders: folders.map((f) => f.path), dataDir: status.dataDir });
          break;
        }
        case 'close':
          await svc.close();
          exit(0);
      }
    })();
  });
  port.start?.();
  send({ type: 'ready' });
  return svc;
}

const parentPort = (process as unknown as { parentPort?: PortLike }).parentPort;
if (parentPort) {
  runHost(parentPort).catch((err: unknown) => {
    console.error('service host failed:', err);
    process.exit(1);
  });
}
