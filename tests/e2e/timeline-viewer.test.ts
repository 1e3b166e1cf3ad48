/// <reference lib="dom" />
// The timeline and the viewer in Chromium against the real service (issue 14): day headers by
// EXIF capture date (file time marked), the date scrubber, plain grid for the name sort; viewer
// zoom (wheel, double-click, 1:1, keys) and pan, full screen, the hideable info panel with dates,
// camera, size and a path that wraps at its separators. Screenshots light/dark, 1400×900 and 1000×700.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_NO_SHARED } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, shotsEverySize, startRig, type Rig } from './harness.js';
import { writeScene } from './photos.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);
const DATED = [
  ['2024:03:10 09:00:00', 'canal.jpg'],
  ['2024:03:10 18:30:00', 'canal-evening.jpg'],
  ['2024:03:02 12:00:00', 'market.jpg'],
  ['2024:02:20 08:15:00', 'harbour.jpg'],
  ['2024:02:20 10:00:00', 'harbour-2.jpg'],
] as const;

describe.skipIf(skip !== null)('timeline and viewer', () => {
  let rig: Rig;
  const today = new Date().toISOString().slice(0, 10);
  const shots = (name: string, schemes: readonly ('light' | 'dark')[] = ['light', 'dark']) =>
    shotsEverySize(rig.page, rig.shot, name, { schemes, settleMs: 200, after: { width: 1000, height: 700 } });

  beforeAll(async () => {
    rig = (await startRig('timeline'))!;
    // A deep folder with a long name: the viewer's path must wrap at its separators.
    const lib = path.join(rig.root, 'Pictures', 'Travel 2024 — a very long folder name for the path', 'Amsterdam and Rotterdam');
    for (const [i, [when, name]] of DATED.entries()) {
      const src = await writeScene(path.join(rig.root, 'src', name), 700 + i, 640, 480);
      fs.mkdirSync(lib, { recursive: true });
      await sharp(src).withExifMerge({ IFD0: { Make: 'Canon', Model: 'EOS 5D' }, IFD2: { DateTimeOriginal: when } }).jpeg().toFile(path.join(lib, name));
    }
    await writeScene(path.join(lib, 'no-date-1.jpg'), 720);
    await writeScene(path.join(lib, 'no-date-2.jpg'), 721);
    await rig.service.handlers['folders.add']({ path: path.join(rig.root, 'Pictures'), exclude: [] });
    await rig.service.whenIdle();
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('groups All photos by capture day, newest first, marks file-time photos, and jumps by month', async () => {
    const { page } = rig;
    await page.setViewportSize({ width: 1000, height: 700 });
    await page.goto(rig.server.url);
    await expect.poll(() => page.locator('.row.day').evaluateAll((els) => els.map((e) => e.getAttribute('data-day'))), { timeout: 30_000 }).toEqual([today, '2024-03-10', '2024-03-02', '2024-02-20']);
    const heads = page.locator('.row.day');
    await expect(heads.nth(0).textContent()).resolves.toMatch(/2 photos.*dated by file time/);
    await expect(heads.nth(1).textContent()).resolves.toMatch(/March.*2024.*2 photos/);
    await expect(heads.nth(1).textContent()).resolves.not.toMatch(/file time/);
    // Photo order follows the headers: the two evening/morning canal photos sit under 10 March.
    const names = await page.locator('.tile').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    expect(names.slice(2, 4).sort()).toEqual(['canal-evening.jpg', 'canal.jpg']);
    const scrubber = page.getByTestId('timeline-scrubber');
    await expect(scrubber.getAttribute('aria-valuetext')).resolves.toMatch(new RegExp(new Date().toLocaleString(undefined, { month: 'long', timeZone: 'UTC' })));
    await shots('01-timeline');
    await scrubber.focus();
    await page.keyboard.press('End');
    await expect.poll(() => page.getByRole('grid', { name: 'Photos' }).evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-day="2024-02-20"]').evaluate((el) => el.getBoundingClientRect().top < window.innerHeight)).toBe(true);
    // Sorting by name is a plain grid; back to date order brings the days back.
    await page.getByLabel('Sort photos').selectOption('name');
    await expect.poll(() => page.locator('.row.day').count()).toBe(0);
    await expect(scrubber.count()).resolves.toBe(0);
    await page.getByLabel('Sort photos').selectOption('date-asc');
    await expect.poll(() => page.locator('.row.day').first().getAttribute('data-day')).toBe('2024-02-20');
    await page.getByLabel('Sort photos').selectOption('date-desc');
  });

  it('viewer: dates, camera, size, a path that wraps; zoom by wheel, double-click, 1:1 and keys; pan; info panel; full screen', async () => {
    const { page } = rig;
    await page.locator('.tile[data-name="market.jpg"]').click();
    const viewer = page.getByRole('dialog', { name: 'market.jpg' });
    await viewer.waitFor();
    const info = viewer.getByRole('complementary', { name: 'Photo information' });
    await expect(info.textContent()).resolves.toMatch(/Taken.*2024/);
    await expect(info.textContent()).resolves.toMatch(/Canon/);
    await expect(info.textContent()).resolves.toMatch(/640 × 480/);
    const p = viewer.getByTestId('viewer-path');
    const box = await p.evaluate((el) => ({ h: el.getBoundingClientRect().height, lh: parseFloat(getComputedStyle(el).lineHeight) || 16, over: el.scrollWidth - el.clientWidth, text: el.textContent }));
    expect(box.over).toBeLessThanOrEqual(0); // wraps, never runs out of the panel
    expect(box.h).toBeGreaterThan(box.lh * 1.5);
    expect(box.text).toBe(fs.realpathSync(path.join(rig.root, 'Pictures')) + '/Travel 2024 — a very long folder name for the path/Amsterdam and Rotterdam/market.jpg');
    const stage = viewer.locator('.stage');
    const zoom = async () => Number(await stage.getAttribute('data-zoom'));
    const img = viewer.locator('.stage img');
    await img.evaluate((el: HTMLImageElement) => el.decode());
    const r = (await img.boundingBox())!;
    await page.mouse.move(r.x + r.width / 2, r.y + r.height / 2);
    await page.mouse.wheel(0, -400);
    await expect.poll(zoom).toBeGreaterThan(1.5);
    // Pan: a drag moves the zoomed photo.
    const before = await img.evaluate((el) => el.style.transform);
    await page.mouse.down();
    await page.mouse.move(r.x + r.width / 2 - 120, r.y + r.height / 2 - 60, { steps: 4 });
    await page.mouse.up();
    expect(await img.evaluate((el) => el.style.transform)).not.toBe(before);
    await shots('02-viewer-zoomed', ['dark']);
    await img.dblclick();
    await expect.poll(zoom).toBe(1);
    await img.dblclick();
    await expect.poll(zoom).toBe(2);
    await page.keyboard.press('0');
    await expect.poll(zoom).toBe(1);
    // 1:1: one pixel of the full image per screen pixel (element scale × contain-fit scale = 1).
    await viewer.getByRole('button', { name: '1:1 actual pixels' }).click();
    await expect.poll(async () => Math.round((await img.evaluate((el: HTMLImageElement) => (el.getBoundingClientRect().width / el.clientWidth) * Math.min(el.clientWidth / el.naturalWidth, el.clientHeight / el.naturalHeight))) * 100) / 100).toBe(1);
    await page.keyboard.press('+');
    await expect.poll(zoom).toBeGreaterThan(1);
    // Info panel hides and comes back (and is remembered).
    await viewer.getByRole('button', { name: 'Hide info' }).click();
    await expect(info.count()).resolves.toBe(0);
    await expect(page.evaluate(() => localStorage.getItem('magiclens.viewerInfoHidden'))).resolves.toBe('1');
    await shots('03-viewer-no-info', ['dark']);
    await page.keyboard.press('i');
    await expect(info.count()).resolves.toBe(1);
    // Full screen, and back.
    await viewer.getByRole('button', { name: 'Full screen' }).click();
    await expect.poll(() => page.evaluate(() => document.fullscreenElement?.getAttribute('role') ?? null)).toBe('dialog');
    await viewer.getByRole('button', { name: 'Exit full screen' }).click();
    await expect.poll(() => page.evaluate(() => document.fullscreenElement)).toBe(null);
    // A photo without EXIF date says so.
    await page.keyboard.press('Escape');
    await page.locator('.tile[data-name="no-date-1.jpg"]').click();
    await expect(page.getByRole('dialog', { name: 'no-date-1.jpg' }).textContent()).resolves.toMatch(/No capture date in the file/);
    await page.keyboard.press('Escape');
    expect(rig.consoleErrors).toEqual([]);
  });
});
