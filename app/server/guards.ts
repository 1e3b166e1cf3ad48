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

/** Past MAX_BODY_BYTES we stop storing but keep reading (and discarding) up to this many bytes, so a
 *  client that sends a whole oversized body before reading receives the 413 instead of a TCP reset. */
export const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true };

/** Reads a body up to MAX_BODY_BYTES. Resolves { tooLarge } as soon as the body is known to be
 *  larger (declared Content-Length or bytes received); the caller answers 413 and calls discardBody. */
export function readBody(req: http.IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return resolve({ ok: false, tooLarge: true });
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(c);
      req.off('data', onData);
      req.pause();
      resolve({ ok: false, tooLarge: true });
    };
    req.on('data', onData);
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? { ok: false, tooLarge: true } : { ok: true, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

/** After an early answer (413): read and drop the rest of the body so the answer reaches the client;
 *  a sender that goes past MAX_DRAIN_BYTES has its connection cut (the answer is already written). */
export function discardBody(req: http.IncomingMessage): void {
  let drained = 0;
  req.on('data', (c: Buffer) => {
    drained += c.length;
    if (drained > MAX_DRAIN_BYTES) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}
