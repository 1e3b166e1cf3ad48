// POST /api: one JSON request envelope in, the contract dispatcher's response envelope out.
import type http from 'node:http';
import { dispatch } from '../api/contract.js';
import type { BridgeService } from './bridge.js';
import { discardBody, MAX_BODY_BYTES, readBody } from './guards.js';
import { sendError, sendJson, statusFor } from './http.js';

export async function handleApi(service: BridgeService, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return sendError(res, 405, 'invalid_request', 'use POST');
  }
  const ct = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (ct !== 'application/json') return sendError(res, 415, 'invalid_request', 'Content-Type must be application/json');
  const body = await readBody(req);
  if (!body.ok) {
    // answer first, then drain: closing with unread bytes in the socket would reset the connection
    res.setHeader('Connection', 'close');
    sendError(res, 413, 'invalid_request', `request body larger than ${MAX_BODY_BYTES} bytes`);
    return discardBody(req);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body.body.toString('utf8'));
  } catch {
    return sendError(res, 400, 'invalid_request', 'body is not valid JSON');
  }
  const out = await dispatch(service.handlers, raw);
  sendJson(res, out.ok ? 200 : statusFor(out.error.code), out);
}
