/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the browser: they use DOM types.)
// The whole app in a real browser: add a folder and watch indexing finish; compose a search from a
// photo + instruction; right-click → Find related…; save a smart album and see it grow live when a
// photo lands in the folder; a broken file in the problems list. Screenshots go to test-results/e2e.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_NO_SHARED } from '../helpers/engine.js';
import { writeScene } from './photos.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, startRig, type Rig } from './harness.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);
if (skip) console.warn(`e2e skipped: ${skip}`);

const N = 14;

describe.skipIf(skip !== null)('MagicLens in Chromium over the HTTP bridge', () => {
  let rig: Rig;
  let photos: string;

  beforeAll(async () => {
    rig = (await startRig('library'))!;
    photos = path.join(rig.root, 'My Photos');
    for (let i = 0; i < N; i++) await writeScene(path.join(photos, i % 3 === 0 ? 'trip' : '', `IMG_${1000 + i}.jpg`), 100 + i);
    fs.writeFileSync(path.join(photos, 'broken.jpg'), 'this is not a JPEG at all');
  });

  afterAll(async () => {
    await rig?.close();
  });

  it('shows the welcome state, adds a folder and indexes it to done', async () => {
    const { page } = rig;
    await page.goto(rig.server.url);
    await page.getByText('Welcome to MagicLens').waitFor();
    // The token is moved out of the address bar once the page has it.
    expect(page.url()).not.toContain('token=');
    await rig.shot('01-welcome');
    await page.getByRole('button', { name: 'Add a folder' }).click();
    await page.getByLabel('Folder path').fill(photos);
    await rig.shot('02-add-folder');
    await page.getByRole('dialog', { name: 'Add folder' }).getByRole('button', { name: 'Add folder' }).click();
    const progress = page.getByTestId('progress');
    await progress.and(page.locator('[data-state="idle"]')).waitFor({ timeout: 60_000 });
    // Every readable photo has a tile with a thumbnail; the broken file is not a photo here (it is
    // listed under Problems, and counted there only).
    await expect.poll(async () => page.locator('.tile').count(), { timeout: 20_000 }).toBe(N);
    await expect.poll(async () => page.locator('.tile img').count(), { timeout: 20_000 }).toBe(N);
    expect(await page.locator('.tile.error').count()).toBe(0);
    // Every thumbnail really arrives through the bridge's media route from the service's cache.
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.tile img')].every((i) => i.complete && i.naturalWidth > 0), null, { timeout: 20_000 });
    await expect.poll(() => progress.getByTestId('progress-count').textContent(), { timeout: 20_000 }).toBe(`${N} indexed`);
    await expect(progress.textContent()).resolves.toContain('1 failed');
    expect(await page.getByTestId('nav-all-count').textContent()).toBe(String(N));
    await rig.shot('03-indexed');
  });

  it('runs a photo + instruction search and shows ranked results beside the query photo', async () => {
    const { page } = rig;
    // Pick the query photo from the grid, then type the instruction.
    await page.getByRole('button', { name: 'Search from a photo' }).click();
    await page.getByRole('menuitem', { name: 'Pick from library' }).click();
    await page.locator('.tile').nth(2).click();
    const chip = page.getByTestId('query-chip');
    await chip.waitFor();
    const queryName = (await chip.textContent())!.trim();
    await page.getByLabel('Instruction').fill('the same scene at night');
    await page.keyboard.press('Enter');
    await page.getByText('“the same scene at night”').waitFor();
    await expect(page.getByTestId('query-photo').textContent()).resolves.toContain(queryName);
    await page.getByTestId('show-scores').check(); // raw scores are an option (hover shows them otherwise)
    const scores = (await page.locator('.tile .score').allTextContents()).map(Number);
    expect(scores.length).toBeGreaterThanOrEqual(N - 1);
    expect(scores.every((s) => Number.isFinite(s))).toBe(true);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores); // ranked best first
    await rig.shot('04-compose-results');
  });

  it('right-click → Find related… puts that photo in the search bar and focuses the instruction', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: /All photos/ }).click();
    const tile = page.locator('.tile').nth(5);
    const name = await tile.getAttribute('aria-label');
    await tile.click({ button: 'right' });
    const menu = page.getByRole('menu', { name: 'Photo actions' });
    await menu.waitFor();
    await rig.shot('05-context-menu');
    await menu.getByRole('menuitem', { name: 'Find related…' }).click();
    await expect(page.getByTestId('query-chip').textContent()).resolves.toContain(name!);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')), { timeout: 20_000 }).toBe('Instruction');
    await page.keyboard.type('in autumn colours');
    await page.keyboard.press('Enter');
    await page.getByText('“in autumn colours”').waitFor();
    await rig.shot('06-find-related-results');
  });

  it('saves the search as a smart album that grows live when a photo is added to the folder', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: 'Save as smart album' }).click();
    await page.getByLabel('Name').fill('Autumn');
    await rig.shot('07-save-album');
    await page.getByRole('button', { name: 'Save album' }).click();
    const entry = page.getByRole('button', { name: /Autumn/ });
    await entry.waitFor();
    const before = Number(await entry.getByTestId('album-count').textContent());
    expect(before).toBeGreaterThan(0);
    await entry.click();
    await page.getByText('Smart album', { exact: true }).waitFor();
    await rig.shot('08-album');
    // A new photo lands in the watched folder; no reload.
    await writeScene(path.join(photos, 'new', 'IMG_2000.jpg'), 999);
    await expect.poll(async () => Number(await entry.getByTestId('album-count').textContent()), { timeout: 30_000 }).toBe(before + 1);
    await expect.poll(() => page.locator('.tile').count(), { timeout: 10_000 }).toBe(before + 1);
    // The library and folder counts follow too.
    await expect.poll(async () => page.getByRole('button', { name: /All photos/ }).textContent(), { timeout: 10_000 }).toContain(String(N + 1));
    await rig.shot('09-album-grew');
  });

  it('lists the broken file with its reason under Problems', async () => {
    const { page } = rig;
    await page.getByTestId('nav-errors').click();
    const list = page.getByTestId('errors-list');
    // The list renders before its rows arrive: poll until the row (name + reason) is there.
    await expect.poll(async () => list.textContent(), { timeout: 10_000 }).toContain('broken.jpg');
    await expect(list.textContent()).resolves.toMatch(/not a readable image/);
    await rig.shot('10-problems');
  });

  it('runs a text-only search and keeps the page free of CSP violations and errors', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: 'Remove query photo' }).click().catch(() => undefined);
    await page.getByLabel('Search text').fill('a red bicycle');
    await page.keyboard.press('Enter');
    await page.getByText('Text search').waitFor();
    expect(await page.locator('.tile .score').count()).toBeGreaterThan(0);
    await rig.shot('11-text-search');
    // The one tolerated failure: the broken file's thumbnail, asked for while it was still pending.
    const broken = (await rig.service.handlers['photos.errors']({ offset: 0, limit: 10 })).items.map((p) => `HTTP 400 /media/thumb/${p.id}`);
    const httpErrors = rig.consoleErrors.filter((e) => e.startsWith('HTTP '));
    expect(httpErrors.filter((e) => !broken.includes(e))).toEqual([]);
    const others = rig.consoleErrors.filter((e) => !e.startsWith('HTTP ') && !(httpErrors.length > 0 && /Failed to load resource: .* 400/.test(e)));
    expect(others).toEqual([]); // no CSP violations, no page errors
  });
});
