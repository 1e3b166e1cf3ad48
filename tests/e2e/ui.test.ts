/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the browser: they use DOM types.)
// Keyboard use, the photo viewer, the model manager, settings and theme, against the real service.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_NO_SHARED } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, startRig, type Rig } from './harness.js';
import { writeScene } from './photos.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);

describe.skipIf(skip !== null)('keyboard, viewer, models and settings', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = (await startRig('ui'))!;
    const photos = path.join(rig.root, 'Holiday');
    for (let i = 0; i < 9; i++) await writeScene(path.join(photos, `P${i}.jpg`), 500 + i);
    await rig.service.handlers['folders.add']({ path: photos, exclude: ['**/skip/**'] });
    await rig.service.whenIdle();
  });
  afterAll(async () => rig?.close());

  it('moves through the grid with the keyboard and opens the viewer with metadata', async () => {
    const { page } = rig;
    await page.goto(rig.server.url);
    const grid = page.getByRole('grid', { name: 'Photos' });
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBe(9);
    await grid.focus();
    await page.keyboard.press('ArrowRight'); // first press selects the first photo
    await page.keyboard.press('ArrowRight');
    await expect(grid.getAttribute('aria-activedescendant')).resolves.toBe('tile-1');
    await page.keyboard.press('ArrowDown');
    const cols = await page.evaluate(() => getComputedStyle(document.querySelector('.rows')!).gridTemplateColumns.split(' ').length);
    await expect(grid.getAttribute('aria-activedescendant')).resolves.toBe(`tile-${Math.min(8, 1 + cols)}`);
    await page.keyboard.press('End');
    await expect(grid.getAttribute('aria-activedescendant')).resolves.toBe('tile-8');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    const viewer = page.getByRole('dialog');
    await viewer.waitFor();
    const first = await viewer.locator('h2').textContent();
    await expect(viewer.textContent()).resolves.toContain('Holiday');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.viewer img')].every((i) => i.complete && i.naturalWidth > 0));
    await rig.shot('01-viewer');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => viewer.locator('h2').textContent(), { timeout: 20_000 }).not.toBe(first);
    await page.keyboard.press('Escape');
    await expect(viewer.count()).resolves.toBe(0);
    // "/" jumps to the search field from anywhere.
    await page.keyboard.press('/');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')), { timeout: 20_000 }).toBe('Search text');
  });

  it('drags a photo onto the search bar to make it the query', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: /All photos/ }).click();
    const tile = page.locator('.tile').nth(3);
    const name = await tile.getAttribute('aria-label');
    await tile.dragTo(page.getByRole('search'));
    await expect(page.getByTestId('query-chip').textContent()).resolves.toContain(name!);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')), { timeout: 20_000 }).toBe('Instruction');
    await page.getByLabel('Remove query photo').click();
  });

  it('pauses and resumes indexing from the progress card', async () => {
    const { page } = rig;
    const more = path.join(rig.root, 'More');
    for (let i = 0; i < 6; i++) await writeScene(path.join(more, `M${i}.jpg`), 700 + i);
    await page.getByRole('button', { name: 'Models' }).click(); // any view: the card lives in the sidebar
    await rig.service.handlers['index.pause']({});
    await rig.service.handlers['folders.add']({ path: more, exclude: [] });
    const card = page.getByTestId('progress');
    await card.and(page.locator('[data-state="paused"]')).waitFor({ timeout: 20_000 });
    await expect(card.textContent()).resolves.toContain('Indexing paused');
    await rig.shot('00-paused');
    await page.getByRole('button', { name: 'Resume indexing' }).click();
    await card.and(page.locator('[data-state="idle"]')).waitFor({ timeout: 30_000 });
    await expect.poll(() => card.getByTestId('progress-count').textContent(), { timeout: 20_000 }).toBe('15 indexed');
  });

  it('shows the model manager with the running provider and the install form', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: 'Models' }).click();
    await page.getByRole('heading', { name: 'Models' }).waitFor();
    await expect(page.getByTestId('provider').textContent()).resolves.toBe('CPU');
    await expect(page.locator('.model.active').count()).resolves.toBe(1);
    // A bad install request is refused with a visible error, nothing installed.
    await page.getByPlaceholder(/magic_lens_clip_base/).fill('/nonexistent/checkpoint.pkl');
    await page.getByPlaceholder(/bpe_simple_vocab/).fill('/nonexistent/vocab.txt.gz');
    await page.getByRole('button', { name: 'Install' }).click();
    await expect.poll(async () => (await page.getByTestId('install-progress').allTextContents()).join(' ') + (await page.locator('.toast').allTextContents()).join(' '), { timeout: 20_000 }).toMatch(/fail|error|not|No such|ENOENT/i);
    await rig.shot('02-models');
  });

  it('imports a model from local files with progress, then lists it', async () => {
    const { page } = rig;
    const g = goldenDir()!;
    const before = await page.locator('.model').count();
    await page.getByPlaceholder(/magic_lens_clip_base/).fill(path.join(g, 'tiny_checkpoint.pkl'));
    await page.getByPlaceholder(/bpe_simple_vocab/).fill(path.join(g, 'bpe_simple_vocab_16e6.txt.gz'));
    await page.getByPlaceholder('MagicLens base').fill('Imported tiny');
    await page.getByRole('button', { name: 'Install' }).click();
    const job = page.getByTestId('install-progress');
    // (An earlier failed job may still be on screen until this one's first progress arrives.)
    await expect.poll(() => job.textContent(), { timeout: 120_000 }).toMatch(/Installed/);
    await job.scrollIntoViewIfNeeded();
    await rig.shot('02b-model-installed');
    await expect(job.textContent()).resolves.toContain('Installed');
    await expect.poll(() => page.locator('.model').count(), { timeout: 20_000 }).toBe(before + 1);
    await expect(page.getByRole('heading', { name: 'Imported tiny' }).count()).resolves.toBe(1);
  });

  it('edits folder exclusions and switches to the light theme', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: 'Settings' }).click();
    const box = page.getByLabel(/Exclude/).first(); // the Holiday folder
    await expect(box.inputValue()).resolves.toBe('**/skip/**');
    await box.fill('**/skip/**\n**/Screenshots/**');
    await page.getByRole('button', { name: 'Save exclusions' }).first().click();
    await expect.poll(async () => (await rig.service.handlers['folders.list']({}))[0]?.exclude, { timeout: 20_000 }).toEqual(['**/skip/**', '**/Screenshots/**']);
    await page.getByRole('radio', { name: 'Light' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme), { timeout: 20_000 }).toBe('light');
    await expect.poll(async () => (await rig.service.handlers['settings.get']({})).theme, { timeout: 20_000 }).toBe('light');
    await rig.shot('03-settings-light');
    // WebGPU is offered beside the others and joins the list in its place (before the CPU)
    const webgpu = page.getByRole('checkbox', { name: /WebGPU/ });
    await webgpu.scrollIntoViewIfNeeded();
    const was = (await rig.service.handlers['settings.get']({})).providers;
    await webgpu.check();
    await expect.poll(async () => (await rig.service.handlers['settings.get']({})).providers, { timeout: 20_000 }).toEqual([...was.filter((p) => p !== 'cpu'), 'webgpu', ...was.filter((p) => p === 'cpu')]);
    await rig.shot('03b-settings-providers');
    await webgpu.uncheck();
    await expect.poll(async () => (await rig.service.handlers['settings.get']({})).providers, { timeout: 20_000 }).toEqual(was);
    await page.getByRole('button', { name: /All photos/ }).click();
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBe(15);
    await rig.shot('04-library-light');
    // One folder at a time, and sorting.
    await page.getByRole('button', { name: /^More/ }).click();
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBe(6);
    await page.getByLabel('Sort photos').selectOption('name');
    await expect.poll(async () => page.locator('.tile').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))), { timeout: 20_000 }).toEqual(['M0.jpg', 'M1.jpg', 'M2.jpg', 'M3.jpg', 'M4.jpg', 'M5.jpg']);
    await page.getByRole('button', { name: /^Holiday/ }).click();
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBe(9);
  });
});
