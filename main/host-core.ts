// The service host's supervisor, free of Electron (main/host.ts gives it utilityProcess.fork):
// turns the message protocol into promises that always settle. The utility process decodes
// untrusted images (sharp, heic-decode, exif) and is the likeliest process to crash, so:
// - its exit is detected; in-flight and new calls get a clear 'unavailable' error at once;
// - it is restarted with exponential back-off, and gives up after repeated quick crashes;
// - every request has a timeout, so a wedged service cannot hang the window;
// - listeners hear 'restarting' / 'running' / 'stopped' (the renderer shows a banner);
// - results are checked against the contract per method when validateResults is on (debug builds).
import type { EventEnvelope, Method, RequestEnvelope, ResponseEnvelope } from '../app/api/contract.js';
import { methods } from '../app/api/schemas.js';
import { FromHost, type ToHost } from './host-protocol.js';

export interface HostPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
  start?(): void;
  close?(): void;
}
/** One started utility process (or a test's stand-in) and the port main talks to it on. */
export interface HostChild {
  port: HostPort;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}
export type ServiceState = { state: 'running' | 'restarting' | 'stopped'; attempt: number; message: string | null };

export interface SupervisorOptions {
  spawn(): HostChild;
  /** per request, ms */
  timeoutMs?: number;
  /** wait before restart number `attempt` (1-based), ms */
  backoffMs?(attempt: number): number;
  /** consecutive quick crashes before giving up */
  maxRestarts?: number;
  /** a child that ran this long before dying counts as stable: the back-off starts over */
  stableMs?: number;
  validateResults?: boolean;
  now?(): number;
}

type Reply = { ok: true; m: FromHost } | { ok: false; error: string };
interface Pending {
  settle(r: Reply): void;
  method?: string;
}

const defaultBackoff = (attempt: number) => Math.min(30_000, 500 * 2 ** (attempt - 1));

export class HostSupervisor {
  private child: HostChild | null = null;
  private seq = 0;
  private pending = new Map<number, Pending>();
  private listeners = new Set<(e: EventEnvelope) => void>();
  private stateListeners = new Set<(s: ServiceState) => void>();
  private state: ServiceState = { state: 'restarting', attempt: 0, message: 'starting' };
  private attempt = 0;
  private startedAt = 0;
  private closing = false;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private firstReady!: { resolve(): void; reject(e: Error): void };
  /** Settles once, with the first start. */
  readonly ready: Promise<void>;

  constructor(private readonly o: SupervisorOptions) {
    this.ready = new Promise((resolve, reject) => (this.firstReady = { resolve, reject }));
    this.ready.catch(() => undefined); // a caller may never await it
    this.start();
  }

  get current(): ServiceState {
    return this.state;
  }

  private setState(s: ServiceState): void {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private start(): void {
    const child = this.o.spawn();
    this.child = child;
    this.startedAt = (this.o.now ?? Date.now)();
    child.port.on('message', (e) => this.onMessage(child, e.data));
    child.port.start?.();
    child.onExit((code) => this.onExit(child, `the library service stopped (exit code ${code ?? 'unknown'})`));
  }

  private onMessage(child: HostChild, data: unknown): void {
    if (child !== this.child) return; // a late message from a process already replaced
    const parsed = FromHost.safeParse(data);
    if (!parsed.success) return console.error('service host sent an invalid message; dropped');
    const m = parsed.data;
    if (m.type === 'ready') {
      this.firstReady.resolve();
      this.setState({ state: 'running', attempt: this.attempt, message: null });
    } else if (m.type === 'fatal') {
      this.firstReady.reject(new Error(m.message));
      child.kill();
      this.onExit(child, `the library service could not start: ${m.message}`);
    } else if (m.type === 'event') for (const l of this.listeners) l({ event: m.event as EventEnvelope['event'], data: m.data });
    else this.pending.get(m.callId)?.settle({ ok: true, m });
  }

  private onExit(child: HostChild, why: string): void {
    if (child !== this.child) return;
    this.child = null;
    this.firstReady.reject(new Error(why));
    for (const p of [...this.pending.values()]) p.settle({ ok: false, error: why });
    if (this.closing) return;
    const now = (this.o.now ?? Date.now)();
    if (now - this.startedAt >= (this.o.stableMs ?? 60_000)) this.attempt = 0;
    this.attempt++;
    if (this.attempt > (this.o.maxRestarts ?? 5)) {
      this.setState({ state: 'stopped', attempt: this.attempt - 1, message: `${why}; it keeps stopping, so it is not restarted again: quit and reopen MagicLens` });
      return;
    }
    this.setState({ state: 'restarting', attempt: this.attempt, message: why });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.closing) this.start();
    }, (this.o.backoffMs ?? defaultBackoff)(this.attempt));
  }

  private request(msg: (callId: number) => ToHost, method?: string): Promise<Reply> {
    // A child that is starting queues the message on its port and answers once ready (or the
    // timeout fires); with no child at all (crashed, waiting to restart, or given up) refuse now.
    const child = this.child;
    if (!child) {
      const why = this.state.state === 'stopped' ? this.state.message : 'the library service stopped and is restarting; try again in a moment';
      return Promise.resolve({ ok: false, error: why ?? 'the library service is not running' });
    }
    const callId = ++this.seq;
    return new Promise<Reply>((resolve) => {
      const timeoutMs = this.o.timeoutMs ?? 60_000;
      const timer = setTimeout(() => settle({ ok: false, error: `the library service did not answer ${method ?? 'a request'} within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}` }), timeoutMs);
      const settle = (r: Reply) => {
        clearTimeout(timer);
        this.pending.delete(callId);
        resolve(r);
      };
      this.pending.set(callId, { settle, ...(method ? { method } : {}) });
      try {
        child.port.postMessage(msg(callId));
      } catch (err) {
        settle({ ok: false, error: `the library service cannot be reached: ${(err as Error).message}` });
      }
    });
  }

  async call(envelope: RequestEnvelope): Promise<ResponseEnvelope> {
    const r = await this.request((callId) => ({ type: 'call', callId, envelope }), envelope.method);
    if (!r.ok) return { id: envelope.id, ok: false, error: { code: 'unavailable', message: r.error } };
    const env = (r.m as Extract<FromHost, { type: 'response' }>).envelope as ResponseEnvelope;
    return this.o.validateResults ? checkResult(envelope.method, env) : env;
  }

  /** Null when the service refuses; throws when it is down or does not answer. */
  async imageFile(photoId: number, kind: 'thumb' | 'full'): Promise<{ path: string; contentType: string } | null> {
    const r = await this.request((callId) => ({ type: 'image', callId, photoId, kind }), `image ${kind}/${photoId}`);
    if (!r.ok) throw new Error(r.error);
    const m = r.m as Extract<FromHost, { type: 'image' }>;
    return m.ok && m.path && m.contentType ? { path: m.path, contentType: m.contentType } : null;
  }

  async roots(): Promise<{ folders: string[]; dataDir: string }> {
    const r = await this.request((callId) => ({ type: 'roots', callId }), 'roots');
    if (!r.ok) throw new Error(r.error);
    const m = r.m as Extract<FromHost, { type: 'roots' }>;
    return { folders: m.folders, dataDir: m.dataDir };
  }

  onEvent(listener: (e: EventEnvelope) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (s: ServiceState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Asks the service to close (it saves and exits); kills it if it has not gone after `graceMs`. */
  close(graceMs = 5000): void {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    try {
      child.port.postMessage({ type: 'close' } satisfies ToHost);
      setTimeout(() => this.child === child && child.kill(), graceMs).unref?.();
    } catch {
      child.kill();
    }
  }
}

/** Debug builds: a result that fails its method's schema is a bug in the service; say so loudly. */
export function checkResult(method: string, env: ResponseEnvelope): ResponseEnvelope {
  if (!env.ok || !Object.prototype.hasOwnProperty.call(methods, method)) return env;
  const ok = methods[method as Method].result.safeParse(env.result);
  if (ok.success) return env;
  const issue = ok.error.issues[0];
  console.error(`service result for ${method} fails the contract`, ok.error.issues);
  return { id: env.id, ok: false, error: { code: 'internal', message: `${method} returned a result that fails its schema (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''})` } };
}
