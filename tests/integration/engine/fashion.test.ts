// A small slice of the real-photo fashion dataset through the whole engine (the full 9,583-photo
// run is a command, see app/search/README.md): real JPEGs decode, index, and come back by search.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedDir } from '../../../app/paths.js';
import type { EngineService } from '../../../app/service.js';
import { tempDir, tinyService } from '../../helpers/engine.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const images = path.join(sharedDir(), 'datasets', 'fashion', 'images');
const ready = fs.existsSync(images) && (await tinyPackDir()) !== null;
// Without the data the test is SKIPPED (reported as skipped, never as a pass).
if (!ready) console.warn('fashion subset skipped: sharedDir()/datasets/fashion or the tiny pack is missing');
const root = tempDir('ml-fashion-');
let svc: EngineService;
const N = 40;

beforeAll(async () => {
  if (!ready) return;
  // Copied to a temp folder (never into the repo): the library is a subset of the dataset.
  const lib = path.join(root, 'fashion');
  fs.mkdirSync(lib);
  for (const f of fs.readdirSync(images).sort().slice(0, N)) fs.copyFileSync(path.join(images, f), path.join(lib, f));
  svc = (await tinyService(root, { batchSize: 8 }))!;
  await svc.handlers['folders.add']({ path: lib, exclude: [] });
  await svc.scansIdle();
  await svc.whenIdle();
});
afterAll(async () => {
  await svc?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!ready)('fashion subset (real product photos)', () => {
  it('indexes every photo with its real dimensions and finds each one by itself', async () => {
    const list = await svc.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name' });
    expect(list.total).toBe(N);
    for (const p of list.items) {
      expect(p.status, p.name).toBe('indexed');
      expect(p.format).toBe('jpeg');
      expect(p.width! * p.height!).toBeGreaterThan(0);
    }
    for (const p of list.items.slice(0, 10)) {
      const r = await svc.handlers['search.similar']({ photo: { id: p.id }, includeQueryPhoto: true, offset: 0, limit: 3, filters: {} });
      expect(r.hits[0]!.photo.id).toBe(p.id);
    }
  });
});
