// The first indexing fills the screen fast. The scan lists every photo at once and the grid makes
// thumbnails on demand for the tiles it shows, but a pending photo had no capture date (it sorted by
// file time) until its embedding was done: hours for a large library with a real model. This pass
// reads only the header (EXIF date, size, camera, orientation; no pixel decode) of pending photos,
// alongside the index pass. Measured (app/index/README.md, "First screen"): the header runs at
// 100–1,400× the embedding rate, a full thumbnail pass at only 3× for 12 MP photos, so dates go
// first for the whole library and thumbnails stay on demand.
//
// It reads a JPEG's first 256 KB only, and trusts the scan's size + mtime instead of hashing the file
// again (as a rescan does): the whole-file read and SHA-256 of every 12-MP photo competed with the
// index pass for the cores (switched off, the pass indexed 12-MP JPEGs ~3 points closer to the tower).
import fs from 'node:fs';
import type { EventSink } from '../api/contract.js';
import { unchangedSinceScan } from '../library/walk.js';
import { inspectImage, type ImageHeader } from '../media/decode.js';
import type { Db } from '../store/db.js';
import type { PhotoRepo } from '../store/photos.js';

interface Row { id: number; path: string; hash: string; size: number; mtime_ms: number }

const BATCH = 64;
/**
 * A JPEG's header (EXIF in APP1, then the frame header) sits in its first segments; 256 KB holds them
 * for camera and phone files, including an embedded preview. A file whose frame header lies further
 * (huge APP segments) is read whole.
 */
export const JPEG_HEAD_BYTES = 256 * 1024;

/** The header of the file at `p` (`size` bytes), reading only its start when it is a JPEG. */
export async function readHeader(p: string, size: number): Promise<ImageHeader> {
  if (size > JPEG_HEAD_BYTES) {
    const fh = await fs.promises.open(p, 'r');
    let head: Buffer;
    try {
      head = Buffer.alloc(JPEG_HEAD_BYTES);
      await fh.read(head, 0, JPEG_HEAD_BYTES, 0);
    } finally {
      await fh.close();
    }
    if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
      try {
        return await inspectImage(head);
      } catch {
        // frame header beyond the head: read the whole file below
      }
    }
  }
  return inspectImage(await fs.promises.readFile(p, { flag: 'r' }));
}

export class HeaderPrepass {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly d: { db: Db; photos: PhotoRepo; emit: EventSink }) {}

  /** Starts a pass over pending photos without metadata (one at a time; a kick during a pass runs another after it). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch(() => {}) // the database closed under us (service shutting down): nothing to keep
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  whenIdle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const next = this.d.db.prepare(`SELECT id, path, hash, size, mtime_ms FROM photos WHERE status = 'pending' AND width IS NULL AND id > ? ORDER BY id LIMIT ?`);
    const still = this.d.db.prepare(`SELECT 1 FROM photos WHERE id = ? AND status = 'pending' AND hash = ?`);
    let cursor = 0;
    for (;;) {
      const rows = next.all(cursor, BATCH) as Row[];
      if (rows.length === 0) return;
      let n = 0;
      for (const r of rows) {
        cursor = r.id;
        try {
          const st = await fs.promises.stat(r.path);
          // changed since the scan: the rescan and the index pass deal with it
          if (!unchangedSinceScan(r, st)) continue;
          const { meta } = await readHeader(r.path, st.size);
          // indexed (or changed) meanwhile: the index pass wrote what it found
          if (!still.get(r.id, r.hash)) continue;
          this.d.photos.setMeta(r.id, meta);
          n++;
        } catch {
          // unreadable or not an image: the index pass records the reason as an error row
        }
      }
      if (n > 0) this.d.emit('photos.changed', { added: 0, updated: n, removed: 0 });
    }
  }
}
