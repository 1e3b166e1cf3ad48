// Issue 11 item 6: on a first indexing the grid shows every photo with its date before any
// embedding is done. Indexing is paused before the folder is added, so no photo can be embedded:
// every photo is still listed, with its EXIF capture date, size and camera (header pass), in date
// order, and its thumbnail is served on demand; then, resumed, the index pass embeds them all.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineService } from '../../../app/service.js';
import { noise, tempDir, tinyService, waitFor } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const pack = await tinyPackDir();

const root = tempDir('ml-prepass-');
const lib = path.join(root, 'library');
const N = 12;
let svc: EngineService | null = null;
// photo i taken on day i of March 2020; file times in the opposite order, so the date order is the EXIF one
const day = (i: number) => Date.UTC(2020, 2, i + 1, 10, 0, 0);

beforeAll(async () => {
  fs.mkdirSync(lib, { recursive: true });
  for (let i = 0; i < N; i++) {
    const file = path.join(lib, `p${i}.jpg`);
    const d = new Date(day(i)).toISOString().replace(/-/g, ':').replace('T', ' ').slice(0, 19);
    await sharp(noise(500 + i, 64 * 48 * 3), { raw: { width: 64, height: 48, channels: 3 } })
      .withExifMerge({ IFD0: { Make: 'Canon', Model: 'EOS 5D' }, IFD2: { DateTimeOriginal: d } })
      .jpeg()
      .toFile(file);
    const t = new Date(Date.UTC(2024, 0, 1) - i * 86_400_000);
    fs.utimesSync(file, t, t);
  }
  if (pack) svc = await tinyService(root);
});
afterAll(async () => {
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!pack)('first indexing: every photo with its date before the embeddings', () => {
  it('lists every photo dated from its header while no embedding is done, then indexes them', async () => {
    const s = svc!;
    await s.handlers['index.pause']({});
    await s.handlers['folders.add']({ path: lib, exclude: [] });
    await s.scansIdle();
    const list = () => s.handlers['photos.list']({ offset: 0, limit: 100, sort: 'date-asc' });
    await waitFor(async () => (await list()).items.every((p) => p.takenAt !== null), 20_000, 'dates from the header pass');
    const r = await list();
    expect(r.total).toBe(N);
    // still no embedding: every photo pending, no vectors
    const counts = s.db.prepare(`SELECT status, count(*) AS n FROM photos GROUP BY status`).all();
    expect(counts).toEqual([{ status: 'pending', n: N }]);
    expect(r.items.map((p) => p.takenAt)).toEqual(Array.from({ length: N }, (_, i) => day(i)));
    expect(r.items.map((p) => path.basename(p.path))).toEqual(Array.from({ length: N }, (_, i) => `p${i}.jpg`));
    expect(r.items.every((p) => p.width === 64 && p.height === 48 && p.camera === 'Canon EOS 5D')).toBe(true);
    // the grid's thumbnails come on demand, embeddings or not
    const thumb = await s.imageFile(r.items[0]!.id, 'thumb');
    expect((await sharp(thumb.path).metadata()).format).toBe('jpeg');

    await s.handlers['index.resume']({});
    await s.whenIdle();
    expect(s.db.prepare(`SELECT status, count(*) AS n FROM photos GROUP BY status`).all()).toEqual([{ status: 'indexed', n: N }]);
    // the index pass found the same metadata
    expect((await list()).items.map((p) => p.takenAt)).toEqual(Array.from({ length: N }, (_, i) => day(i)));
  });
});
