/// <reference lib="dom" />
// Issue 11, as a new user meets it: a fresh profile on the demo model → the demo banner on the
// welcome screen and above results → "Install MagicLens" from the banner, downloaded from a local
// HTTP server that serves a checkpoint in the official format under its official file name and
// drops the first response mid-file (so the download must resume with Range) → progress seen →
// while the library is re-embedded, searches still answer with the demo model → the switch → the
// banner is gone and results come from the new model. Real Chromium, service, ONNX Runtime.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_URL_ENV } from '../../app/model/catalogue.js';
import { writePhoto } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, startRig, type Rig } from './harness.js';

const G = goldenDir();
const skip = chromiumMissing() ?? (G ? null : 'the golden tiny checkpoint is not in ../shared/reference/magiclens');

describe.skipIf(skip !== null)('from the demo model to MagicLens without losing search', () => {
  let rig: Rig;
  let server: http.Server;
  const hits: { url: string; range?: string }[] = [];
  let dropFirst = true;

  beforeAll(async () => {
    const ck = fs.readFileSync(path.join(G!, 'tiny_checkpoint.pkl'));
    server = http.createServer((req, res) => {
      hits.push({ url: req.url!, range: req.headers.range });
      if (req.url !== '/models/magic_lens_clip_base.pkl') { res.writeHead(404); res.end(); return; }
      const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      res.writeHead(m ? 206 : 200, { 'content-length': ck.length - start, ...(m ? { 'content-range': `bytes ${start}-${ck.length - 1}/${ck.length}` } : {}) });
      // paced (64 KiB every 40 ms, ~1.6 MB/s) so that progress is on screen long enough to see
      let at = start;
      const cut = dropFirst ? Math.floor(ck.length / 3) : ck.length;
      dropFirst = false;
      const tick = setInterval(() => {
        if (at >= cut) {
          clearInterval(tick);
          if (cut < ck.length) res.destroy(); // the connection drops mid-file
          else res.end();
          return;
        }
        const next = Math.min(cut, at + 65536);
        res.write(ck.subarray(at, next));
        at = next;
      }, 40);
      res.on('close', () => clearInterval(tick));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    // the catalogue's base URL, read by the service (never set by the renderer)
    process.env[BASE_URL_ENV] = `http://127.0.0.1:${(server.address() as { port: number }).port}/models/`;
    rig = (await startRig('upgrade'))!;
  }, 120_000);
  afterAll(async () => {
    delete process.env[BASE_URL_ENV];
    await rig?.close();
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('flags the demo, installs MagicLens-B with a resumed download, keeps searching with the demo while re-embedding, then switches', async () => {
    const { page, service } = rig;
    const call = service.handlers;
    const demoId = (await call['models.list']({})).find((m) => m.active)!.id;
    await page.goto(rig.server.url);
    const banner = page.getByTestId('demo-banner');
    await banner.waitFor();
    await expect(banner.textContent()).resolves.toMatch(/Demo model: it knows rendered shapes, not real photos\./);
    await rig.shot('01-welcome-demo-banner');

    const photos = path.join(rig.root, 'Photos');
    for (let i = 0; i < 12; i++) await writePhoto(path.join(photos, `IMG_${i}.jpg`), 900 + i, { width: 64, height: 48 });
    await call['folders.add']({ path: photos, exclude: [] });
    await rig.service.whenIdle();
    await page.getByLabel('Search text').fill('a red square');
    await page.getByLabel('Search text').press('Enter');
    await expect.poll(() => page.locator('.tile').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await banner.waitFor();
    await rig.shot('02-results-demo-banner');

    // Paused indexing holds the background re-embedding, so "while re-embedding" can be observed.
    await call['index.pause']({});
    await banner.getByRole('button', { name: /Install MagicLens/ }).click();
    const progress = page.getByTestId('banner-install-progress');
    await expect.poll(() => progress.textContent().catch(() => ''), { timeout: 30_000 }).toMatch(/Downloading MagicLens-B: .* of /);
    await rig.shot('03-install-progress');

    const upgrading = page.getByTestId('upgrade-banner');
    await upgrading.waitFor({ timeout: 120_000 });
    await expect(upgrading.textContent()).resolves.toMatch(/upgrading the index to MagicLens .*: 0 \/ 12/i);
    const u = (await call['models.upgrade']({}))!;
    expect(u).toMatchObject({ fromId: demoId, done: 0, total: 12, state: 'paused' });
    const newId = u.targetId;
    expect(newId).not.toBe(demoId);
    // the download dropped after a third and was resumed from there, not restarted
    const ckHits = hits.filter((h) => h.url === '/models/magic_lens_clip_base.pkl');
    expect(ckHits.length).toBe(2);
    expect(ckHits[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    // while re-embedding: searches answer with the demo model, over the whole library
    const during = await call['search.text']({ text: 'a red square', limit: 50, offset: 0, filters: {} });
    expect(during.modelId).toBe(demoId);
    expect(during.hits.length).toBe(12);
    await rig.shot('04-upgrading-search-still-demo');

    await call['index.resume']({});
    await expect.poll(async () => (await call['models.list']({})).find((m) => m.active)?.id, { timeout: 120_000 }).toBe(newId);
    await page.getByTestId('upgrade-banner').waitFor({ state: 'detached', timeout: 20_000 });
    await expect(page.getByTestId('demo-banner').count()).resolves.toBe(0);
    const after = await call['search.text']({ text: 'a red square', limit: 50, offset: 0, filters: {} });
    expect(after.modelId).toBe(newId);
    expect(after.hits.length).toBe(12); // the new index covers the library: nothing vanished
    await page.getByLabel('Search text').fill('a blue circle');
    await page.getByLabel('Search text').press('Enter');
    await expect.poll(() => page.locator('.tile').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await rig.shot('05-switched-no-banner');
    // the demo model's vectors went after the switch
    const models = rig.service.db.prepare('SELECT id FROM models').all() as { id: string }[];
    expect(models.map((m) => m.id)).toEqual([newId]);
  }, 300_000);
});
