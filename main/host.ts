// Main-process side of the service host: forks the utility process, hands it a MessagePort and
// turns the message protocol into promises. Every message coming back is schema-checked.
import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventEnvelope, RequestEnvelope, ResponseEnvelope } from '../app/api/contract.js';
import { FromHost, type ToHost } from './host-protocol.js';

type Pending = (m: FromHost) => void;

export class ServiceHost {
  private child: UtilityProcess;
  private port: MessagePortMain;
  private seq = 0;
  private pending = new Map<number, Pending>();
  private listeners = new Set<(e: EventEnvelope) => void>();
  readonly ready: Promise<void>;

  constructor(opts: { dataDir: string; bundledPacksDir?: string }) {
    const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'service-host.js');
    const args = [`--data-dir=${opts.dataDir}`];
    if (opts.bundledPacksDir) args.push(`--bundled-packs=${opts.bundledPacksDir}`);
    this.child = utilityProcess.fork(entry, args, { serviceName: 'MagicLens service', stdio: 'inherit' });
    const { port1, port2 } = new MessageChannelMain();
    this.port = port1;
    this.child.postMessage({ type: 'port' }, [port2]);
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((readyResolve = res), (readyReject = rej)));
    this.port.on('message', (e) => {
      const parsed = FromHost.safeParse(e.data);
      if (!parsed.success) return console.error('service host sent an invalid message; dropped');
      const m = parsed.data;
      if (m.type === 'ready') readyResolve();
      else if (m.type === 'fatal') readyReject(new Error(m.message));
      else if (m.type === 'event') for (const l of this.listeners) l({ event: m.event as EventEnvelope['event'], data: m.data });
      else this.pending.get(m.callId)?.(m);
    });
    this.port.start();
    this.child.on('exit', (code) => {
      readyReject(new Error(`service host exited with code ${code}`));
      for (const [id, p] of this.pending) p({ type: 'response', callId: id, envelope: { id: null, ok: false, error: { code: 'unavailable', message: 'the service stopped' } } });
      this.pending.clear();
    });
  }

  private request<T extends FromHost>(msg: (callId: number) => ToHost): Promise<T> {
    const callId = ++this.seq;
    return new Promise<T>((resolve) => {
      this.pending.set(callId, (m) => {
        this.pending.delete(callId);
        resolve(m as T);
      });
      this.port.postMessage(msg(callId));
    });
  }

  async call(envelope: RequestEnvelope): Promise<ResponseEnvelope> {
    const m = await this.request<Extract<FromHost, { type: 'response' }>>((callId) => ({ type: 'call', callId, envelope }));
    return m.envelope as ResponseEnvelope;
  }

  async imageFile(photoId: number, kind: 'thumb' | 'full'): Promise<{ path: string; contentType: string } | null> {
    const m = await this.request<Extract<FromHost, { type: 'image' }>>((callId) => ({ type: 'image', callId, photoId, kind }));
    return m.ok && m.path && m.contentType ? { path: m.path, contentType: m.contentType } : null;
  }

  async roots(): Promise<{ folders: string[]; dataDir: string }> {
    const m = await this.request<Extract<FromHost, { type: 'roots' }>>((callId) => ({ type: 'roots', callId }));
    return { folders: m.folders, dataDir: m.dataDir };
  }

  onEvent(listener: (e: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    try {
      this.port.postMessage({ type: 'close' } satisfies ToHost);
    } catch {
      this.child.kill();
    }
  }
}
