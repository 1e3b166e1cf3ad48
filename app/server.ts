// Local HTTP/WebSocket bridge over the service: lets the renderer run in any browser (and the
// e2e tests in Chromium) with the same API contract Electron's IPC adapter serves.
// Security model: loopback only, a random per-run token on every request (constant-time compare),
// Host/Origin checks against DNS rebinding and cross-site pages, JSON-only bounded bodies,
// every request validated by the contract's dispatcher, media only from inside library folders.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, dispatch, type EventEnvelope, type Handlers, type ResponseEnvelope } from './api/contract.js';
import { MEDIA_CACHE_DIR, parseMediaPath, resolveInsideRoots } from './media-access.js';
import { APP_ROOT } from './paths.js';

/** The part of app/service.ts's Service the bridge needs (structural, so tests can build one). */
export interface BridgeService {
  handlers: Handlers;
  onEvent(listener: (e: EventEnvelope) => void): () => void;
  imageFile(photoId: number, kind: 'thumb' | 'full'): Promise<{ path: string; contentType: string }>;
}

export interface StartServerOptions {
  service: BridgeService;
  host?: '127.0.0.1';
  port?: number;
  token?: string;
  staticDir?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_STATIC_DIR = path.join(APP_ROOT, 'renderer', 'dist');

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

const STATUS_FOR: Record<string, number> = {
  invalid_request: 400,
  bad_input: 400,
  unknown_method: 404,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  unavailable: 503,
  internal: 500,
};

/** The page's Content-Security-Policy: our own scripts/styles only, API + events to ourselves. */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearer(req: http.IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer ([^\s]+)$/.exec(h);
  return m ? (m[1] ?? null) : null;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  // Loopback only, whatever the caller passes at runtime (the type already says so).
  if (host !== '127.0.0.1') throw new Error(`the bridge binds to 127.0.0.1 only (got ${String(host)})`);
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new Error('token too short (need at least 16 characters)');
  const staticDir = opts.staticDir ?? (existsSync(DEFAULT_STATIC_DIR) ? DEFAULT_STATIC_DIR : undefined);
  const { service } = opts;
  let port = 0;
  let dataDir: string | null = null;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  function baseHeaders(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
      ...extra,
    };
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, baseHeaders({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) }));
    res.end(text);
  }

  function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
    const env: ResponseEnvelope = { id: null, ok: false, error: { code: code as never, message } };
    sendJson(res, status, env);
  }

  /** Reads a body up to MAX_BODY_BYTES; past that it keeps draining (so the client sees the 413,
   *  not a reset) but stores nothing, and cuts the connection if the sender goes on and on. */
  function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 8 * MAX_BODY_BYTES) req.destroy();
        else if (size <= MAX_BODY_BYTES) chunks.push(c);
      });
      req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendError(res, 405, 'invalid_request', 'use POST');
    }
    const ct = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (ct !== 'application/json') return sendError(res, 415, 'invalid_request', 'Content-Type must be application/json');
    const body = await readBody(req);
    if (body === null) return sendError(res, 413, 'invalid_request', `request body larger than ${MAX_BODY_BYTES} bytes`);
    let raw: unknown;
    try {
      raw = JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(res, 400, 'invalid_request', 'body is not valid JSON');
    }
    const out = await dispatch(service.handlers, raw);
    sendJson(res, out.ok ? 200 : (STATUS_FOR[out.error.code] ?? 500), out);
  }

  /** Thumbnails (and browser-viewable renditions, e.g. of HEIC) come from the data dir's thumbs
   *  folder; full images from the library folders — or a rendition from that same thumbs folder. */
  async function mediaRoots(kind: 'thumb' | 'full'): Promise<string[]> {
    dataDir ??= (await service.handlers['status.get']({})).dataDir;
    const generated = path.join(dataDir, MEDIA_CACHE_DIR);
    if (kind === 'thumb') return [generated];
    return [...(await service.handlers['folders.list']({})).map((f) => f.path), generated];
  }

  async function handleMedia(req: http.IncomingMessage, res: http.ServerResponse, rest: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'invalid_request', 'use GET');
    const parsed = parseMediaPath(rest);
    if (!parsed) return sendError(res, 400, 'bad_input', 'media path must be /media/thumb/<id> or /media/full/<id>');
    let file: { path: string; contentType: string };
    try {
      file = await service.imageFile(parsed.photoId, parsed.kind);
    } catch (err) {
      const e = ApiError.from(err);
      return sendError(res, STATUS_FOR[e.code] ?? 500, e.code, e.message);
    }
    const real = await resolveInsideRoots(file.path, await mediaRoots(parsed.kind));
    if (!real) return sendError(res, 404, 'not_found', 'image is not inside a library folder');
    const st = await stat(real);
    if (!st.isFile()) return sendError(res, 404, 'not_found', 'not a file');
    res.writeHead(200, {
      ...baseHeaders({ 'Cache-Control': 'private, max-age=300' }),
      'Content-Type': file.contentType,
      'Content-Length': String(st.size),
    });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(real).on('error', () => res.destroy()).pipe(res);
  }

  async function handleStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'invalid_request', 'use GET');
    if (!staticDir) {
      res.writeHead(404, baseHeaders({ 'Content-Type': 'text/plain; charset=utf-8' }));
      return void res.end('The renderer is not built. Run `npm run build:renderer`.\n');
    }
    const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
    const target = path.resolve(staticDir, rel);
    const real = await resolveInsideRoots(target, [staticDir]);
    const type = STATIC_TYPES[path.extname(target).toLowerCase()];
    if (!real || !type || !(await stat(real)).isFile()) {
      res.writeHead(404, baseHeaders({ 'Content-Type': 'text/plain; charset=utf-8' }));
      return void res.end('not found\n');
    }
    const data = await readFile(real);
    const headers = baseHeaders({
      'Content-Type': type,
      'Content-Length': String(data.length),
      // Hashed asset names never change; the page itself is re-fetched each time.
      'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy(port);
      headers['X-Frame-Options'] = 'DENY';
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      // DNS rebinding: a hostile name resolving to 127.0.0.1 still carries its own Host header.
      if (!allowedHosts().has(String(req.headers.host ?? ''))) return sendError(res, 403, 'unauthorized', 'bad Host header');
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedOrigins().has(origin)) return sendError(res, 403, 'unauthorized', 'cross-origin request refused');
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const pathname = url.pathname;
      if (pathname === '/api' || pathname.startsWith('/media/')) {
        const given = pathname === '/api' ? bearer(req) : (bearer(req) ?? url.searchParams.get('token'));
        if (!tokenMatches(given, token)) return sendError(res, 401, 'unauthorized', 'missing or wrong token');
        if (pathname === '/api') return handleApi(req, res);
        return handleMedia(req, res, pathname.slice('/media'.length));
      }
      if (pathname === '/events') return sendError(res, 426, 'invalid_request', 'use a WebSocket');
      return handleStatic(req, res, pathname);
    })().catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'internal', err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const origin = req.headers.origin;
    const ok =
      url.pathname === '/events' &&
      allowedHosts().has(String(req.headers.host ?? '')) &&
      (origin === undefined || allowedOrigins().has(origin)) &&
      tokenMatches(url.searchParams.get('token') ?? bearer(req), token);
    if (!ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      // The channel is one-way; a client talking back is ignored.
      ws.on('message', () => undefined);
    });
  });

  const unsubscribe = service.onEvent((e) => {
    const text = JSON.stringify(e);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
