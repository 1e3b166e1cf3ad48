// The renderer's one API client, over one of two transports:
//  - IPC: `window.magiclens` from Electron's preload (call/on/imageUrl, nothing else);
//  - HTTP: the local bridge (POST /api + WebSocket /events), token taken from the page URL.
// Both carry the same envelopes from app/api/contract.ts.
import { ApiError, type ApiClient, type EventData, type EventName, type Method, type Params, type ResponseEnvelope, type Result } from '../../../app/api/contract.js';
import { MAX_QUERY_PHOTO_BYTES } from '../../../app/api/schemas.js';
import type { ShellMethod, ShellParams, ShellResult } from '../../../app/api/shell.js';

/** What Electron's preload exposes on window.magiclens. */
export interface PreloadApi {
  call(method: string, params?: unknown): Promise<ResponseEnvelope>;
  on(event: string, listener: (data: unknown) => void): () => void;
  imageUrl(photoId: number, kind: 'thumb' | 'full'): string;
}

declare global {
  interface Window {
    magiclens?: PreloadApi;
  }
}

export interface Client extends ApiClient {
  readonly transport: 'ipc' | 'http';
  /** Desktop-only requests (native dialogs/menus); null on the HTTP transport. */
  shell<M extends ShellMethod>(method: M, params?: ShellParams<M>): Promise<ShellResult<M>> | null;
  /** HTTP only: sends a picked or dropped checkpoint (.pkl) to the bridge, which installs it; the
   *  job's progress arrives as models.installProgress. Desktop picks a path with the native dialog. */
  uploadCheckpoint?(file: Blob): Promise<{ jobId: string }>;
  /** Live connection state of the event channel (HTTP reconnects; IPC is always up). */
  onConnection(listener: (up: boolean) => void): () => void;
}

function unwrap<T>(env: ResponseEnvelope): T {
  if (env.ok) return env.result as T;
  throw new ApiError(env.error.code, env.error.message, env.error.details);
}

type Listener = (data: unknown) => void;

class Emitter {
  private map = new Map<string, Set<Listener>>();
  on(event: string, l: Listener): () => void {
    let set = this.map.get(event);
    if (!set) this.map.set(event, (set = new Set()));
    set.add(l);
    return () => set.delete(l);
  }
  emit(event: string, data: unknown): void {
    for (const l of this.map.get(event) ?? []) {
      try {
        l(data);
      } catch (err) {
        console.error(`listener for ${event} failed`, err);
      }
    }
  }
}

export function ipcClient(bridge: PreloadApi): Client {
  return {
    transport: 'ipc',
    async call<M extends Method>(method: M, params?: Params<M>): Promise<Result<M>> {
      return unwrap<Result<M>>(await bridge.call(method, params ?? {}));
    },
    on<E extends EventName>(event: E, listener: (data: EventData<E>) => void) {
      return bridge.on(event, listener as Listener);
    },
    imageUrl: (id, kind) => bridge.imageUrl(id, kind),
    shell(method, params) {
      return bridge.call(method, params ?? {}).then((env) => unwrap(env));
    },
    onConnection(listener) {
      listener(true);
      return () => undefined;
    },
  };
}

/** One authorised POST to the bridge, answered with a response envelope. */
async function post<T>(url: URL, token: string, contentType: string, body: BodyInit): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType, Authorization: `Bearer ${token}` }, body });
  let env: ResponseEnvelope;
  try {
    env = (await res.json()) as ResponseEnvelope;
  } catch {
    throw new ApiError('unavailable', `the MagicLens server answered ${res.status}`);
  }
  return unwrap<T>(env);
}

export function httpClient(opts: { base: string; token: string; WebSocketImpl?: typeof WebSocket }): Client {
  const { base, token } = opts;
  const emitter = new Emitter();
  const connListeners = new Set<(up: boolean) => void>();
  let seq = 0;
  let ws: WebSocket | null = null;
  let up = false;
  let retry = 500;
  const WS = opts.WebSocketImpl ?? WebSocket;

  const setUp = (v: boolean) => {
    if (v === up) return;
    up = v;
    for (const l of connListeners) l(v);
  };

  function connect(): void {
    const url = new URL('events', base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('token', token);
    ws = new WS(url.toString());
    ws.onopen = () => {
      retry = 500;
      setUp(true);
    };
    ws.onmessage = (m) => {
      try {
        const env = JSON.parse(String(m.data)) as { event: string; data: unknown };
        if (typeof env.event === 'string') emitter.emit(env.event, env.data);
      } catch {
        /* a malformed frame is dropped */
      }
    };
    ws.onclose = () => {
      setUp(false);
      // The server may restart (e.g. `magiclens serve` relaunched): reconnect with backoff.
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10_000);
    };
  }
  connect();

  return {
    transport: 'http',
    call<M extends Method>(method: M, params?: Params<M>): Promise<Result<M>> {
      return post<Result<M>>(new URL('api', base), token, 'application/json', JSON.stringify({ id: ++seq, method, params: params ?? {} }));
    },
    on<E extends EventName>(event: E, listener: (data: EventData<E>) => void) {
      return emitter.on(event, listener as Listener);
    },
    imageUrl(id, kind) {
      return new URL(`media/${kind}/${id}?token=${encodeURIComponent(token)}`, base).toString();
    },
    shell() {
      return null;
    },
    uploadCheckpoint(file) {
      return post<{ jobId: string }>(new URL('upload/checkpoint', base), token, 'application/octet-stream', file);
    },
    onConnection(listener) {
      connListeners.add(listener);
      listener(up);
      return () => connListeners.delete(listener);
    },
  };
}

/** Picks the transport: Electron's preload when present, else the HTTP bridge this page came from. */
export function createClient(win: Window = window): Client {
  if (win.magiclens) return ipcClient(win.magiclens);
  const url = new URL(win.location.href);
  let token = url.searchParams.get('token');
  if (token) {
    // Keep the token out of history, bookmarks and screenshots of the address bar.
    win.sessionStorage.setItem('magiclens.token', token);
    url.searchParams.delete('token');
    win.history.replaceState(null, '', url.toString());
  } else {
    token = win.sessionStorage.getItem('magiclens.token');
  }
  if (!token) throw new ApiError('unauthorized', 'No access token: open the URL printed by `magiclens serve`.');
  return httpClient({ base: new URL('./', url).toString(), token });
}

/** Above this a picked photo is scaled down in the page first: the HTTP bridge takes bodies of at
 *  most 1 MiB, and base64 adds a third. */
const SEND_AS_IS_BYTES = 600 * 1024;
/** Long side of the scaled copy: the model sees 224 px, so 1024 px keeps the query's embedding
 *  within resize noise of the original's and leaves a sharp preview. */
const SCALED_LONG_SIDE = 1024;

/**
 * A query photo from outside the library, read in the page (the file chooser or a drop) and
 * sent by value: the service takes no file paths for queries. Refused here above the API's cap;
 * a large photo (a phone's 4 MB JPEG) is sent as a scaled JPEG copy, rotated as its EXIF says.
 */
export async function queryPhotoFromFile(file: File): Promise<{ name: string; bytes: string }> {
  if (file.size > MAX_QUERY_PHOTO_BYTES) throw new Error(`${file.name} is too large for a query photo (over ${MAX_QUERY_PHOTO_BYTES / 1024 / 1024} MiB)`);
  const blob = file.size > SEND_AS_IS_BYTES ? await scaledCopy(file) : file;
  const data = new Uint8Array(await blob.arrayBuffer());
  let bin = '';
  // In slices: String.fromCharCode with millions of arguments overflows the stack.
  for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return { name: file.name, bytes: btoa(bin) };
}

async function scaledCopy(file: File): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`${file.name} is not an image this window can read`);
  }
  const scale = Math.min(1, SCALED_LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
  canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
}
