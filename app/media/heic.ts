// HEIC decodes go to a worker thread (app/media/heic-worker.ts) that is ended after a large photo and when
// idle: its wasm heap (libheif) would otherwise keep the memory of the largest HEIC ever decoded for the
// life of the process. One decode at a time: a 48-MP HEIC alone takes ~700 MB while it decodes.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../model/module-worker.js';

export interface RgbPixels { width: number; height: number; data: Uint8Array }

/** After a decode of at least this many pixels the worker (and its wasm heap) is ended. */
export const RECYCLE_ABOVE_PIXELS = 16_000_000;
const IDLE_MS = 15_000;

type Reply = { id: number; width: number; height: number; data: Uint8Array; error?: undefined } | { id: number; error: string };

class HeicWorker {
  private worker: Promise<Worker> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private idle: NodeJS.Timeout | null = null;

  decode(buf: Buffer): Promise<RgbPixels> {
    const run = this.queue.then(() => this.decodeNow(buf));
    this.queue = run.catch(() => {});
    return run;
  }

  private async decodeNow(buf: Buffer): Promise<RgbPixels> {
    if (this.idle) clearTimeout(this.idle);
    const w = await (this.worker ??= this.start());
    w.ref();
    const id = ++this.seq;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const onMessage = (m: Reply) => {
        if (m.id !== id) return;
        w.off('message', onMessage);
        w.off('exit', onExit);
        resolve(m);
      };
      const onExit = (code: number) => reject(new Error(`HEIC decoder stopped (exit ${code})`));
      w.on('message', onMessage);
      w.once('exit', onExit);
      w.postMessage({ id, buf: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) });
    }).catch((e: Error) => {
      this.worker = null;
      throw e;
    });
    if (reply.error !== undefined) throw new Error(reply.error);
    if (reply.width * reply.height >= RECYCLE_ABOVE_PIXELS) this.stop();
    else {
      w.unref();
      this.idle = setTimeout(() => this.stop(), IDLE_MS).unref();
    }
    return { width: reply.width, height: reply.height, data: reply.data };
  }

  private start(): Promise<Worker> {
    const w = startModuleWorker(import.meta.url, 'heic-worker', null);
    return new Promise((resolve, reject) => {
      w.once('message', (m: { type?: string; error?: string }) => (m.type === 'ready' ? resolve(w) : reject(new Error(m.error ?? 'HEIC decoder failed to start'))));
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`HEIC decoder exited (${code}) before it was ready`)));
    }).catch((e: Error) => {
      this.worker = null;
      throw e;
    }) as Promise<Worker>;
  }

  private stop(): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.then((x) => x.terminate()).catch(() => {});
  }
}

const shared = new HeicWorker();

/** HEIC/HEIF → RGB (orientation applied by libheif, alpha dropped), decoded in the recycled worker. */
export function decodeHeicRgb(buf: Buffer): Promise<RgbPixels> {
  return shared.decode(buf);
}
