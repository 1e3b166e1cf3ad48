// HTTP(S) download with progress, resume (Range into a .part file), an optional sha256 check and a
// size cap. Only https URLs are fetched (plain http only to this computer, for tests and local
// mirrors); redirects are followed by hand so that every hop passes the same rule.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Why a download failed, one class per thing the user can do about it. */
export type DownloadFailure = 'refused' | 'auth' | 'not-found' | 'http' | 'offline' | 'truncated' | 'checksum' | 'disk-full' | 'too-large' | 'cancelled';

export class DownloadError extends Error {
  constructor(message: string, readonly kind: DownloadFailure = 'refused') { super(message); this.name = 'DownloadError'; }
}

/** Network errors that mean "this computer cannot reach the server" (no network, DNS, refused). */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET']);

function causeCode(e: unknown): string | undefined {
  const c = (e as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return c?.code ?? c?.errors?.[0]?.code;
}

function statusError(url: string, status: number, statusText: string): DownloadError {
  if (status === 401 || status === 403) return new DownloadError(`the server refused access to ${url} (HTTP ${status} ${statusText})`, 'auth');
  if (status === 404 || status === 410) return new DownloadError(`nothing at ${url} (HTTP ${status} ${statusText})`, 'not-found');
  return new DownloadError(`cannot download ${url}: HTTP ${status} ${statusText}`, 'http');
}

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

export interface DownloadOptions {
  sha256?: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** refuse (and delete) a download larger than this many bytes */
  maxBytes?: number;
  /** free disk needed beyond the download itself, given its total size (e.g. room to convert it) */
  extraSpace?: (total: number) => number;
  /** free bytes in a folder (tests give a small disk; default: statfs) */
  freeSpace?: (dir: string) => number;
}

const MAX_REDIRECTS = 5;

/** Anything with a scheme is treated as a URL (and then has to pass urlAllowed), never as a path. */
export function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  return h === '::1';
}

/** https anywhere; http only to a loopback address, and only when the download started on one
 *  (a remote server must not be able to redirect us into this computer's local services). */
export function urlAllowed(raw: string, loopbackOk = true): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new DownloadError(`not a valid URL: ${raw}`);
  }
  if (u.username || u.password) throw new DownloadError('URLs with a user name or password are not accepted');
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && loopbackOk && isLoopbackHost(u.hostname)) return u;
  throw new DownloadError(`only https URLs can be downloaded (plain http only from this computer): ${u.protocol}//${u.host}`);
}

/** fetch with redirects followed by hand, each hop checked by urlAllowed. */
async function fetchChecked(url: string, init: RequestInit): Promise<Response> {
  let current = urlAllowed(url);
  const startedOnLoopback = isLoopbackHost(current.hostname);
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { ...init, redirect: 'manual' });
    if (res.status < 300 || res.status >= 400 || res.status === 304) return res;
    const loc = res.headers.get('location');
    await res.body?.cancel();
    if (!loc) throw new DownloadError(`${current.href} answered HTTP ${res.status} without a Location`);
    if (hop >= MAX_REDIRECTS) throw new DownloadError(`too many redirects from ${url}`);
    try {
      current = urlAllowed(new URL(loc, current).href, startedOnLoopback);
    } catch (e) {
      throw new DownloadError(`refused a redirect from ${current.href}: ${(e as Error).message}`);
    }
  }
}

async function hashFile(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const c of fs.createReadStream(file, { highWaterMark: 1 << 22 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Downloads url to dest. A previous partial download (dest + '.part') is resumed when the server allows it. */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<void> {
  const part = `${dest}.part`;
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetchChecked(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: opts.signal });
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    if (opts.signal?.aborted) throw new DownloadError(`download of ${url} cancelled`, 'cancelled');
    const code = causeCode(e);
    const detail = `${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`;
    if (code && OFFLINE_CODES.has(code)) throw new DownloadError(`cannot reach ${new URL(url).host}: ${code}; this computer may be offline`, 'offline');
    throw new DownloadError(`cannot download ${url}: ${detail}`, 'offline');
  }
  if (res.status === 416 && have > 0) {
    // the part file is already complete (or larger than the file): start over
    fs.rmSync(part, { force: true });
    await res.body?.cancel();
    return download(url, dest, opts);
  }
  if (!res.ok || !res.body) throw statusError(url, res.status, res.statusText);
  let total: number;
  if (res.status === 206) {
    const m = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
    total = m ? Number(m[1]) : have + Number(res.headers.get('content-length') ?? 0);
  } else {
    have = 0; // server ignored the Range: restart from zero
    total = Number(res.headers.get('content-length') ?? 0);
  }
  if (opts.maxBytes !== undefined && total > opts.maxBytes) {
    await res.body.cancel();
    fs.rmSync(part, { force: true });
    throw new DownloadError(`${url} is ${total} bytes, more than the ${opts.maxBytes} accepted`, 'too-large');
  }
  await checkSpace(url, part, have, total, res, opts);
  await receive(url, part, have, total, res.body, opts);
}

/** Before a byte is written: the rest of the download (and what the caller needs beyond it) must fit. */
async function checkSpace(url: string, part: string, have: number, total: number, res: Response, opts: DownloadOptions): Promise<void> {
  if (total <= 0) return;
  const dir = path.dirname(part);
  const need = total - have + (opts.extraSpace?.(total) ?? 0);
  const free = (opts.freeSpace ?? freeBytes)(dir);
  if (free >= need) return;
  await res.body?.cancel();
  throw new DownloadError(`not enough free disk space for ${url}: ${mb(need)} needed, ${mb(free)} free on the disk holding ${dir}`, 'disk-full');
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

/** Waits for 'drain', or for an 'error' (ENOSPC) after which no 'drain' comes; leaves no listener behind. */
function drainOrError(out: fs.WriteStream): Promise<void> {
  return new Promise<void>((r) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      r();
    };
    out.on('drain', done);
    out.on('error', done);
  });
}

/** Streams the body into the .part file; a complete, checked file is renamed to dest. */
async function receive(url: string, part: string, have: number, total: number, body: ReadableStream<Uint8Array>, opts: DownloadOptions): Promise<void> {
  const dest = part.slice(0, -'.part'.length);
  const out = fs.createWriteStream(part, { flags: have > 0 ? 'a' : 'w' });
  // a failed write (ENOSPC) arrives as an 'error' event, not as a throw from write()
  let writeError: NodeJS.ErrnoException | null = null;
  out.on('error', (e) => (writeError = e));
  let done = have;
  opts.onProgress?.(done, total);
  try {
    const reader = body.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      if (!out.write(value)) await drainOrError(out);
      if (writeError) {
        await reader.cancel().catch(() => {});
        break;
      }
      done += value.length;
      if (opts.maxBytes !== undefined && done > opts.maxBytes) {
        await reader.cancel().catch(() => {});
        throw new DownloadError(`more than the ${opts.maxBytes} bytes accepted`);
      }
      opts.onProgress?.(done, total);
    }
  } catch (e) {
    if (opts.maxBytes !== undefined && done > opts.maxBytes) {
      await new Promise<void>((r) => out.end(() => r()));
      fs.rmSync(part, { force: true });
      throw new DownloadError(`download of ${url} refused: ${(e as Error).message}; the file was deleted`, 'too-large');
    }
    if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
      await new Promise<void>((r) => out.end(() => r()));
      fs.rmSync(part, { force: true });
      throw new DownloadError(`the disk filled up while downloading ${url}; the partial file was deleted`, 'disk-full');
    }
    if (opts.signal?.aborted) throw new DownloadError(`download of ${url} cancelled (partial file kept for resume)`, 'cancelled');
    throw new DownloadError(`download of ${url} failed after ${done} bytes: ${(e as Error).message} (partial file kept for resume)`, 'truncated');
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
  }
  const werr = writeError as NodeJS.ErrnoException | null;
  if (werr) {
    fs.rmSync(part, { force: true });
    throw new DownloadError(werr.code === 'ENOSPC' ? `the disk filled up while downloading ${url}; the partial file was deleted` : `cannot write the download: ${werr.message}`, 'disk-full');
  }
  if (total > 0 && done !== total) throw new DownloadError(`download of ${url} ended at ${done} of ${total} bytes (partial file kept for resume)`, 'truncated');
  if (opts.sha256) {
    const got = await hashFile(part);
    if (got !== opts.sha256) {
      fs.rmSync(part, { force: true });
      throw new DownloadError(`download of ${url} has sha256 ${got}, expected ${opts.sha256}; the file was deleted`, 'checksum');
    }
  }
  fs.renameSync(part, dest);
}

export async function verifySha256(file: string, sha: string): Promise<void> {
  const got = await hashFile(file);
  if (got !== sha) throw new DownloadError(`${file} has sha256 ${got}, expected ${sha}`, 'checksum');
}
