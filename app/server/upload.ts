// POST /upload/checkpoint: a MagicLens checkpoint picked (or dropped) in the browser, where no file
// path exists. The body is streamed to ONE fixed file in the data folder (never a name or path the
// caller chooses), capped at the installer's limit for a checkpoint (413 above), and then installed
// through models.install exactly like a chosen local file; the installer removes the copy when the
// install ends. A refused or broken upload leaves nothing behind.
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { ApiError } from '../api/contract.js';
import { InstallBusyError, InstallLock, maxInputBytes, uploadedCheckpointPath } from '../model/install-inputs.js';
import type { BridgeService } from './bridge.js';
import { discardBody } from './guards.js';
import { sendError, sendJson, statusFor } from './http.js';

export type UploadRoute = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;

class TooLarge extends Error {}

/** Streams the body into `file`, stopping as soon as it passes `max` bytes. Not stream.pipeline:
 *  on an error it would destroy the request's socket, and the 413 could no longer be answered. */
function receive(req: http.IncomingMessage, file: string, max: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
    let n = 0;
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      req.off('data', onData);
      req.pause();
      out.once('close', () => reject(e));
      out.destroy();
    };
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > max) return fail(new TooLarge());
      if (!out.write(c)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!failed) out.end(() => resolve(n));
    });
    req.once('close', () => {
      if (!req.complete) fail(new Error('the upload was interrupted'));
    });
    req.once('error', fail);
    out.once('error', fail);
  });
}

/** Official checkpoints are pickles (protocol 2+ starts with 0x80): anything else is refused at once. */
function looksLikePickle(file: string): boolean {
  const head = Buffer.alloc(1);
  const fd = fs.openSync(file, 'r');
  try {
    return fs.readSync(fd, head, 0, 1, 0) === 1 && head[0] === 0x80;
  } finally {
    fs.closeSync(fd);
  }
}

function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: string, message: string): void {
  // answer first, then drain: closing with unread bytes in the socket would reset the connection
  if (!req.complete) res.setHeader('Connection', 'close');
  sendError(res, status, code, message);
  if (!req.complete) discardBody(req);
}

/** `maxBytes` overrides the installer's checkpoint limit (tests). */
export function uploadRoute(service: BridgeService, maxBytes = maxInputBytes('checkpoint')): UploadRoute {
  let dataDir: string | null = null;

  return async (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return refuse(req, res, 405, 'invalid_request', 'use POST');
    }
    const ct = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (ct !== 'application/octet-stream') return refuse(req, res, 415, 'invalid_request', 'Content-Type must be application/octet-stream');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) return refuse(req, res, 413, 'bad_input', `the checkpoint is larger than the ${maxBytes} bytes accepted`);
    dataDir ??= (await service.handlers['status.get']({})).dataDir;
    const dest = uploadedCheckpointPath(dataDir);
    let lock: InstallLock;
    try {
      // held while the bytes arrive: no install can be reading the fixed file we are about to replace
      lock = InstallLock.acquire(dataDir);
    } catch (err) {
      if (err instanceof InstallBusyError) return refuse(req, res, 409, 'conflict', err.message);
      throw err;
    }
    const part = `${dest}.part`;
    try {
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.rmSync(part, { force: true });
      const n = await receive(req, part, maxBytes);
      if (n === 0 || !looksLikePickle(part)) {
        fs.rmSync(part, { force: true });
        return refuse(req, res, 400, 'bad_input', n === 0 ? 'the upload is empty' : 'not a MagicLens checkpoint (not a pickle file)');
      }
      fs.renameSync(part, dest);
    } catch (err) {
      fs.rmSync(part, { force: true });
      if (err instanceof TooLarge) return refuse(req, res, 413, 'bad_input', `the checkpoint is larger than the ${maxBytes} bytes accepted`);
      // the client went away mid-upload: nobody to answer
      if (!res.headersSent) res.destroy();
      return;
    } finally {
      lock.release();
    }
    await install(service, dest, res);
  };
}

/** The same installer as a chosen local file; the job's progress arrives as models.installProgress events. */
async function install(service: BridgeService, file: string, res: http.ServerResponse): Promise<void> {
  try {
    const r = await service.handlers['models.install']({ checkpoint: file, vocab: 'clip' });
    sendJson(res, 202, { id: null, ok: true, result: r });
  } catch (err) {
    fs.rmSync(file, { force: true });
    const e = err instanceof ApiError ? err : new ApiError('internal', (err as Error).message);
    sendError(res, statusFor(e.code), e.code, e.message);
  }
}
