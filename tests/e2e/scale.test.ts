/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the browser: they use DOM types.)
// The library grid at 100,000 photos in Chromium: the DOM stays windowed and scrolling stays
// smooth. A 100k-photo library cannot be indexed inside a test run, so the bridge serves a
// synthetic photos.list (real dispatcher, real HTTP bridge, real image files for thumbnails).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Photo, Status } from '../../app/api/contract.js';
import { startServer, type RunningServer } from '../../app/server.js';
import { bridgeService } from '../helpers/bridge-service.js';
import { ARTIFACTS, buildRenderer, CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from './harness.js';
import { writeScene } from './photos.js';

const TOTAL = 100_000;
const skip = chromiumMissing();

describe.skipIf(skip !== null)('grid at 100k photos', () => {
  let tmp: string;
  let server: RunningServer;
  let browser: Browser;
  let listCalls = 0;
  let svc: ReturnType<typeof bridgeService>;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-scale-'));
    const lib = path.join(tmp, 'lib');
    const files = await Promise.all(Array.from({ length: 24 }, (_, i) => writeScene(path.join(lib, `s${i}.jpg`), 900 + i, 200, 150)));
    const thumbs = files.map((f, i) => {
      const t = path.join(tmp, 'thumbs', `t${i}.jpg`);
      fs.mkdirSync(path.dirname(t), { recursive: true });
      fs.copyFileSync(f, t);
      return t;
    });
    const photo = (id: number): Photo => ({ id, hash: `h${id}`, path: files[id % files.length]!, name: `IMG_${id}.jpg`, folderId: 1, size: 1000, mtimeMs: 0, width: 200, height: 150, takenAt: 1.7e12 - id * 6e4, camera: null, format: 'jpeg', status: 'indexed', error: null });
    const idle = { state: 'idle' as const, done: TOTAL, total: TOTAL, failed: 0, ratePerSec: 0, etaSec: null, current: null, modelId: 'm' };
    svc = bridgeService(
      {
        'status.get': async () => ({ version: '0', dataDir: tmp, model: null, provider: 'cpu', photos: { total: TOTAL, indexed: TOTAL, pending: 0, errors: 0 }, folders: 1, albums: 0, index: idle }) as Status,
        'folders.list': async () => [{ id: 1, path: lib, exclude: [], photoCount: TOTAL, errorCount: 0, available: true, addedAt: 0 }],
        'albums.list': async () => [],
        'models.list': async () => [],
        'settings.get': async () => ({ threads: 2, providers: ['cpu'], theme: 'dark', sketchInstruction: 'x' }),
        'index.progress': async () => idle,
        // Scores fall by 0.001 a place: all 90 stay within the results' cut-off (0.15 below the best).
        'search.text': async ({ text, offset, limit }) => {
          const n = Math.max(0, Math.min(limit, 90 - offset));
          const hits = Array.from({ length: n }, (_, k) => ({ photo: photo(offset + k + 1), score: 0.9 - (offset + k) * 0.001 }));
          return { kind: 'text', hits, offset, hasMore: offset + n < 90, queryPhoto: null, instruction: text, modelId: 'm', elapsedMs: 3 };
        },
        // The timeline's day groups for the same photos (one a minute: about 70 days of 1440).
        'photos.timeline': async () => {
          const days: { day: string; count: number; fileTime: number }[] = [];
          for (let id = 1; id <= TOTAL; id++) {
            const day = new Date(photo(id).takenAt!).toISOString().slice(0, 10);
            if (days[days.length - 1]?.day === day) days[days.length - 1]!.count++;
            else days.push({ day, count: 1, fileTime: 0 });
          }
          return days;
        },
        'photos.list': async ({ offset, limit }) => {
          listCalls++;
          return { items: Array.from({ length: Math.max(0, Math.min(limit, TOTAL - offset)) }, (_, k) => photo(offset + k + 1)), total: TOTAL };
        },
      },
      // Thumbnails come from the data dir's thumbs folder (the bridge serves them from nowhere else).
      async (id, kind) => ({ path: kind === 'thumb' ? thumbs[id % thumbs.length]! : files[id % files.length]!, contentType: 'image/jpeg' }),
    );
    server = await startServer({ service: svc, staticDir: await buildRenderer() });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('keeps a bounded DOM, loads pages lazily and scrolls smoothly end to end', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await page.goto(server.url);
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBeGreaterThan(10);
    const grid = page.getByRole('grid', { name: 'Photos' });
    // The timeline is on: a header per day, the date scrubber on the edge.
    await page.locator('.row.day').first().waitFor();
    await expect(page.getByTestId('timeline-scrubber').count()).resolves.toBe(1);
    // Scroll through the whole library in 60 steps, one per animation frame, timing the frames.
    const frames = await grid.evaluate(async (el) => {
      const times: number[] = [];
      let last = performance.now();
      for (let i = 1; i <= 60; i++) {
        el.scrollTop = (el.scrollHeight * i) / 60;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times;
    });
    const tiles = await page.locator('.tile').count();
    expect(tiles).toBeLessThan(200);
    const sorted = [...frames].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(`100k grid: ${tiles} tiles in DOM; frame time while jumping through the library: median ${median.toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms; photos.list calls ${listCalls}`);
    expect(median).toBeLessThan(50);
    // At the very end the last photo is there, once its page has landed.
    await expect.poll(() => page.locator('[data-index="99999"]').getAttribute('aria-label'), { timeout: 10_000 }).toBe('IMG_100000.jpg');
    expect(listCalls).toBeLessThan(120); // pages fetched on demand, not the whole library
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.tile img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 10_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'scale-100k-end.png') });
    // Live progress while a big library indexes: bar, rate, ETA, current file, pause button.
    svc.emit({ event: 'index.progress', data: { state: 'indexing', done: 41_234, total: TOTAL, failed: 3, ratePerSec: 12.3, etaSec: 4774, current: '/home/me/Pictures/2019/Rome/IMG_4412.jpg', modelId: 'm' } });
    const card = page.getByTestId('progress');
    await card.and(page.locator('[data-state="indexing"]')).waitFor();
    const text = await card.textContent();
    expect(text).toContain('41,234 of 100,000');
    expect(text).toContain('12/s');
    expect(text).toContain('about 1 h 20 min left');
    expect(text).toContain('IMG_4412.jpg');
    expect(await page.getByRole('button', { name: 'Pause indexing' }).count()).toBe(1);
    await card.screenshot({ path: path.join(ARTIFACTS, 'scale-progress-card.png') });
    // Results come a page at a time: "Show more results" appends the next page.
    await page.getByLabel('Search text').fill('boats');
    await page.keyboard.press('Enter');
    await page.locator('.view header').getByText('60 results').waitFor(); // not the live region's copy
    const grid2 = page.getByRole('grid', { name: 'Search results' });
    await grid2.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.getByRole('button', { name: 'Show more results' }).click();
    await page.locator('.view header').getByText('90 results').waitFor();
    await grid2.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.getByText('End of results').waitFor();
    // The footer can show a frame before the window re-renders for the new scroll position: poll.
    // Scores are behind an option now (issue 14 defect 11): each tile still names its score on hover.
    const lowestScore = async () => Math.min(...(await page.locator('.tile[title]').evaluateAll((els) => els.map((e) => Number(/similarity ([\d.]+)/.exec(e.getAttribute('title') ?? '')?.[1] ?? NaN)))));
    await expect.poll(lowestScore, { timeout: 10_000 }).toBeCloseTo(0.9 - 89 * 0.001, 3);
    await page.close();
  });

  it('drag to select with auto-scroll: the band keeps selecting rows the virtualised grid had not rendered', async () => {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await page.goto(server.url);
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBeGreaterThan(10);
    const grid = page.getByRole('grid', { name: 'Photos' });
    const g = (await grid.boundingBox())!;
    const first = (await page.locator('.tile[data-index="0"]').boundingBox())!;
    // From the blank margin left of the first tile down to the grid's bottom edge, held there.
    await page.mouse.move(first.x - 8, first.y + 10);
    await page.mouse.down();
    await page.mouse.move(first.x + first.width * 2.5, g.y + g.height - 5, { steps: 8 });
    await expect.poll(() => grid.evaluate((el) => el.scrollTop), { timeout: 20_000 }).toBeGreaterThan(8000);
    await page.mouse.up();
    // On screen now: the first three columns selected, the others not.
    const cells = await page.locator('.tile').evaluateAll((els) => els.map((e) => ({ col: Number(e.getAttribute('aria-colindex')), sel: e.getAttribute('aria-selected') === 'true' })));
    expect(cells.filter((c) => c.sel).every((c) => c.col <= 3)).toBe(true);
    expect(cells.filter((c) => c.col > 3).some((c) => c.sel)).toBe(false);
    const selected = Number((await page.getByTestId('selection-count').textContent())!.replace(/\D/g, ''));
    const inDom = await page.locator('.tile').count();
    // Three columns of every row passed: far more photos than the DOM ever held at once.
    console.log(`drag-select with auto-scroll at 100k: ${selected} selected, ${inDom} tiles in the DOM`);
    expect(selected).toBeGreaterThan(2 * inDom);
    await page.close();
  });
});
