// Content identity: full SHA-256 of the file bytes, streamed. A sampled hash (size + first/last
// MB) would be faster on huge files but can call two different edits of the same photo identical
// (e.g. metadata rewritten in the middle); a photo is a few MB and SHA-256 runs at >500 MB/s, far
// below the cost of one pass of the image tower, so the exact hash is affordable. The fast path
// is elsewhere: unchanged size + mtime skips hashing entirely.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

export async function hashFile(p: string): Promise<{ hash: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  // flags 'r': photos are only ever opened read-only.
  const stream = fs.createReadStream(p, { flags: 'r', highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash: h.digest('hex'), size };
}

export function hashBuffer(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
