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
    await expect.poll(() => page.locator('.tile img').count()).toBe(9);
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
    await expect.poll(() => viewer.locator('h2').textContent()).not.toBe(first);
    await page.keyboard.press('Escape');
    await expect(viewer.count()).resolves.toBe(0);
    // "/" jumps to the search field from anywhere.
    await page.keyboard.press('/');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Search text');
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
    await expect.poll(async () => (await page.getByTestId('install-progress').textContent().catch(() => '')) + (await page.locator('.toast').textContent().catch(() => '')), { timeout: 20_000 }).toMatch(/fail|error|not|No such|ENOENT/i);
    await rig.shot('02-models');
  });

  it('edits folder exclusions and switches to the light theme', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: 'Settings' }).click();
    const box = page.getByLabel(/Exclude/);
    await expect(box.inputValue()).resolves.toBe('**/skip/**');
    await box.fill('**/skip/**\n**/Screenshots/**');
    await page.getByRole('button', { name: 'Save exclusions' }).click();
    await expect.poll(async () => (await rig.service.handlers['folders.list']({}))[0]?.exclude).toEqual(['**/skip/**', '**/Screenshots/**']);
    await page.getByRole('radio', { name: 'Light' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await expect.poll(async () => (await rig.service.handlers['settings.get']({})).theme).toBe('light');
    await rig.shot('03-settings-light');
    await page.getByRole('button', { name: /All photos/ }).click();
    await expect.poll(() => page.locator('.tile img').count()).toBe(9);
    await rig.shot('04-library-light');
  });
});
