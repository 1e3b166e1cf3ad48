// Preload (sandboxed, CommonJS): exposes exactly the typed API — call, on, imageUrl — and
// nothing else. It only forwards; main validates everything it receives.
import { contextBridge, ipcRenderer } from 'electron';

type Listener = (data: unknown) => void;
const listeners = new Map<string, Set<Listener>>();
let seq = 0;

ipcRenderer.on('magiclens:event', (_event, env: unknown) => {
  if (typeof env !== 'object' || env === null) return;
  const { event, data } = env as { event?: unknown; data?: unknown };
  if (typeof event !== 'string') return;
  for (const l of listeners.get(event) ?? []) {
    try {
      l(data);
    } catch (err) {
      console.error(err);
    }
  }
});

const api = {
  call(method: string, params?: unknown): Promise<unknown> {
    if (typeof method !== 'string') return Promise.reject(new TypeError('method must be a string'));
    return ipcRenderer.invoke('magiclens:call', { id: ++seq, method, params: params ?? {} });
  },
  on(event: string, listener: Listener): () => void {
    if (typeof event !== 'string' || typeof listener !== 'function') throw new TypeError('on(event: string, listener: function)');
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  },
  imageUrl(photoId: number, kind: 'thumb' | 'full'): string {
    if (!Number.isSafeInteger(photoId) || photoId <= 0 || (kind !== 'thumb' && kind !== 'full')) throw new TypeError('imageUrl(photoId: positive integer, kind: thumb|full)');
    return `magiclens-media://${kind}/${photoId}`;
  },
};

contextBridge.exposeInMainWorld('magiclens', Object.freeze(api));
