// Local HTTP/WebSocket bridge over the service: lets the renderer run in any browser (and the
// e2e tests in Chromium) with the same API contract Electron's IPC adapter serves.
// Security model: loopback only, a random per-run token on every request (constant-time compare),
// Host/Origin checks against DNS rebinding and cross-site pages, JSON-only bounded bodies,
// every request validated by the contract's dispatcher, media only from inside library folders.
// The routes live in ./server/; this module checks the options and wires them together.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApi } from './server/api.js';
import type { BridgeContext, BridgeService } from './server/bridge.js';
import { attachEvents } from './server/events.js';
import { bearer, hostAllowed, originAllowed, tokenMatches } from './server/guards.js';
import { sendError } from './server/http.js';
import { mediaRoute } from './server/media.js';
import { DEFAULT_STATIC_DIR, staticRoute } from './server/static.js';
import { uploadRoute } from './server/upload.js';

export type { BridgeService } from './server/bridge.js';
export { MAX_BODY_BYTES, tokenMatches } from './server/guards.js';
export { contentSecurityPolicy, DEFAULT_STATIC_DIR } from './server/static.js';

export interface StartServerOptions {
  service: BridgeService;
  host?: '127.0.0.1';
  port?: number;
  token?: string;
  staticDir?: string;
  /** Overrides the largest checkpoint POST /upload/checkpoint accepts (tests). */
  maxUploadBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Guards first (Host, Origin, then the token for /api and /media), then the route. */
function requestHandler(ctx: BridgeContext, staticDir: string | undefined, maxUploadBytes: number | undefined): http.RequestListener {
  const media = mediaRoute(ctx.service);
  const upload = uploadRoute(ctx.service, maxUploadBytes);
  const files = staticRoute(staticDir, ctx.port);
  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (!hostAllowed(req, ctx.port())) return sendError(res, 403, 'unauthorized', 'bad Host header');
    if (!originAllowed(req, ctx.port())) return sendError(res, 403, 'unauthorized', 'cross-origin request refused');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${ctx.port()}`);
    const pathname = url.pathname;
    if (pathname === '/api' || pathname === '/upload/checkpoint' || pathname.startsWith('/media/')) {
      // <img> tags cannot send headers, so media may carry the token in the query instead.
      const given = pathname.startsWith('/media/') ? (bearer(req) ?? url.searchParams.get('token')) : bearer(req);
      if (!tokenMatches(given, ctx.token)) return sendError(res, 401, 'unauthorized', 'missing or wrong token');
      if (pathname === '/api') return handleApi(ctx.service, req, res);
      if (pathname === '/upload/checkpoint') return upload(req, res);
      return media(req, res, pathname.slice('/media'.length));
    }
    if (pathname === '/events') return sendError(res, 426, 'invalid_request', 'use a WebSocket');
    return files(req, res, pathname);
  };
  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'internal', err instanceof Error ? err.message : String(err));
      else res.destroy();
    });
  };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  // Loopback only, whatever the caller passes at runtime (the type already says so).
  if (host !== '127.0.0.1') throw new Error(`the bridge binds to 127.0.0.1 only (got ${String(host)})`);
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new Error('token too short (need at least 16 characters)');
  const staticDir = opts.staticDir ?? (existsSync(DEFAULT_STATIC_DIR) ? DEFAULT_STATIC_DIR : undefined);
  let port = 0;
  const ctx: BridgeContext = { service: opts.service, token, port: () => port };

  const server = http.createServer(requestHandler(ctx, staticDir, opts.maxUploadBytes));
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;
  const events = attachEvents(server, ctx);
  port = await listen(server, opts.port ?? 0, host);

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      if (closed) return;
      closed = true;
      events.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
