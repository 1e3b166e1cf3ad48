// HTTP(S) download with progress, resume (Range into a .part file) and an optional sha256 check.
import crypto from 'node:crypto';
import fs from 'node:fs';

export class DownloadError extends Error {
  constructor(message: string) { super(message); this.name = 'DownloadError'; }
}

export interface DownloadOptions {
  sha256?: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
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
    res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, signal: opts.signal, redirect: 'follow' });
  } catch (e) {
    if (opts.signal?.aborted) throw new DownloadError(`download of ${url} cancelled`);
    throw new DownloadError(`cannot download ${url}: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`);
  }
  if (res.status === 416 && have > 0) {
    // the part file is already complete (or larger than the file): start over
    fs.rmSync(part, { force: true });
    await res.body?.cancel();
    return download(url, dest, opts);
  }
  if (!res.ok || !res.body) throw new DownloadError(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  let total: number;
  if (res.status === 206) {
    const m = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
    total = m ? Number(m[1]) : have + Number(res.headers.get('content-length') ?? 0);
  } else {
    have = 0; // server ignored the Range: restart from zero
    total = Number(res.headers.get('content-length') ?? 0);
  }
  const out = fs.createWriteStream(part, { flags: have > 0 ? 'a' : 'w' });
  let done = have;
  opts.onProgress?.(done, total);
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      done += value.length;
      opts.onProgress?.(done, total);
    }
  } catch (e) {
    throw new DownloadError(opts.signal?.aborted ? `download of ${url} cancelled (partial file kept for resume)` : `download of ${url} failed after ${done} bytes: ${(e as Error).message} (partial file kept for resume)`);
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
  }
  if (total > 0 && done !== total) throw new DownloadError(`download of ${url} ended at ${done} of ${total} bytes (partial file kept for resume)`);
  if (opts.sha256) {
    const got = await hashFile(part);
    if (got !== opts.sha256) {
      fs.rmSync(part, { force: true });
      throw new DownloadError(`download of ${url} has sha256 ${got}, expected ${opts.sha256}; the file was deleted`);
    }
  }
  fs.renameSync(part, dest);
}

export async function verifySha256(file: string, sha: string): Promise<void> {
  const got = await hashFile(file);
  if (got !== sha) throw new DownloadError(`${file} has sha256 ${got}, expected ${sha}`);
}
