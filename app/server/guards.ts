// The checks every request passes before a route sees it: the per-run token, Host/Origin against
// DNS rebinding and cross-site pages, and bounded bodies.
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Constant-time token comparison (hashing first makes the lengths equal). */
export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearer(req: http.IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer ([^\s]+)$/.exec(h);
  return m ? (m[1] ?? null) : null;
}

/** A hostile name resolving to 127.0.0.1 still carries its own Host header. */
export function hostAllowed(req: http.IncomingMessage, port: number): boolean {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]).has(String(req.headers.host ?? ''));
}

/** No Origin (same-origin navigation, non-browser clients) or one of our own. */
export function originAllowed(req: http.IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  return origin === undefined || new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]).has(origin);
}

/** Reads a body up to MAX_BODY_BYTES; past that it keeps draining (so the client sees the 413,
 *  not a reset) but stores nothing, and cuts the connection if the sender goes on and on. */
export function readBody(req: http.IncomingMessage): Promise<Buffer | null> {
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
