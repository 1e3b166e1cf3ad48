// GET of anything else: the built renderer, under a strict Content-Security-Policy.
import { readFile, stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { resolveInsideRoots } from '../media-access.js';
import { APP_ROOT } from '../paths.js';
import { baseHeaders, sendError, sendText } from './http.js';

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

export type StaticRoute = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => Promise<void>;

/** Serves files of `staticDir` (none: a hint to build the renderer); `port` goes into the CSP. */
export function staticRoute(staticDir: string | undefined, port: () => number): StaticRoute {
  return async (req, res, pathname) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'invalid_request', 'use GET');
    if (!staticDir) return sendText(res, 404, 'The renderer is not built. Run `npm run build:renderer`.\n');
    const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
    const target = path.resolve(staticDir, rel);
    const real = await resolveInsideRoots(target, [staticDir]);
    const type = STATIC_TYPES[path.extname(target).toLowerCase()];
    if (!real || !type || !(await stat(real)).isFile()) return sendText(res, 404, 'not found\n');
    const data = await readFile(real);
    const headers = baseHeaders({
      'Content-Type': type,
      'Content-Length': String(data.length),
      // Hashed asset names never change; the page itself is re-fetched each time.
      'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
    });
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy(port());
      headers['X-Frame-Options'] = 'DENY';
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : data);
  };
}
