// Response helpers: the security headers every answer carries, JSON bodies and error envelopes.
import type http from 'node:http';
import type { ResponseEnvelope } from '../api/contract.js';

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

/** The HTTP status for a contract error code (500 for anything unexpected). */
export function statusFor(code: string): number {
  return STATUS_FOR[code] ?? 500;
}

export function baseHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    ...extra,
  };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, baseHeaders({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) }));
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  const env: ResponseEnvelope = { id: null, ok: false, error: { code: code as never, message } };
  sendJson(res, status, env);
}

export function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, baseHeaders({ 'Content-Type': 'text/plain; charset=utf-8' }));
  res.end(text);
}
