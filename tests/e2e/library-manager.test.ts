/// <reference lib="dom" />
// Issue 14's remaining library-manager pieces in Chromium against the real service: recent
// searches (kept by the service, offered under the empty field, run again in one click, removed,
// cleared, keyboard), drag to select (a rubber band over the virtualised timeline grid; Shift adds),
// hearts on search results after favouriting, the light theme's sidebar counts' contrast, and the
// Models view's int8 precision: what runs and why, and the user's choice (issue 13).
// Screenshots light and dark at 1400×900 and 1000×700.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_NO_SHARED } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, shotsEverySize, startRig, type Rig } from './harness.js';
import { writeScene } from './photos.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);
const N = 14;

describe.skipIf(skip !== null)('library manager: recent searches, drag to select', () => {
  let rig: Rig;
  const tile = (i: number) => rig.page.locator(`.tile[data-index="${i}"]`);
  const shots = (name: string) => shotsEverySize(rig.page, rig.shot, name);

  beforeAll(async () => {
    rig = (await startRig('libmgr'))!;
    const lib = path.join(rig.root, 'Pictures');
    for (let i = 0; i < N; i++) await writeScene(path.join(lib, `R${String(i).padStart(2, '0')}.jpg`), 700 + i);
    await rig.service.handlers['folders.add']({ path: lib, exclude: [] });
    await rig.service.whenIdle();
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('recent searches: remembered by the service, offered on focus, run again, removed, cleared', async () => {
    const { page } = rig;
    await page.goto(rig.server.url);
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 30_000 }).toBe(N);
    const field = page.getByLabel('Search text');
    const recent = page.getByTestId('recent-searches');
    // Nothing searched yet: focusing the field offers nothing.
    await field.focus();
    await expect(recent.count()).resolves.toBe(0);
    await field.fill('red sunset');
    await field.press('Enter');
    await expect.poll(() => page.locator('main .tile').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // A photo + instruction search: pick a photo from the grid's context menu.
    await page.getByRole('button', { name: /All photos/ }).click();
    await tile(2).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Use as search photo' }).click();
    const photoName = (await page.getByTestId('query-chip').getAttribute('title'))!.split(/[\\/]/).pop()!;
    await page.getByLabel('Instruction').fill('at night');
    await page.getByLabel('Instruction').press('Enter');
    await expect.poll(async () => (await rig.service.handlers['search.recent']({})).length, { timeout: 10_000 }).toBe(2);

    // Persisted by the service: a fresh page load shows them.
    await page.goto(rig.server.url);
    await page.getByLabel('Search text').focus();
    await recent.waitFor();
    const runs = recent.locator('button.run');
    await expect(runs.allInnerTexts()).resolves.toEqual([`${photoName} + “at night”`, 'red sunset']);
    await shots('01-recent');

    // One click runs it again: photo chip + instruction back in the bar, results shown.
    await runs.nth(0).click();
    await page.getByTestId('query-chip').waitFor();
    await expect(page.getByLabel('Instruction').inputValue()).resolves.toBe('at night');
    await expect(page.getByLabel('Instruction').evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await expect.poll(() => page.locator('main .tile').count(), { timeout: 20_000 }).toBeGreaterThan(0);

    // Keyboard: Down into the list, Down to the second, Enter runs it; Esc closes the list.
    await page.getByRole('button', { name: 'Remove query photo' }).click();
    await page.getByLabel('Search text').fill('');
    await page.getByLabel('Search text').focus();
    await recent.waitFor();
    await page.keyboard.press('ArrowDown');
    await expect(page.evaluate(() => document.activeElement?.textContent?.trim())).resolves.toBe(`${photoName} + “at night”`);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByLabel('Search text').inputValue()).toBe('red sunset');
    await page.getByLabel('Search text').fill('');
    await expect(recent.count()).resolves.toBe(1);
    // Run again, it is the newest now (remembered once its results are in).
    await expect.poll(() => runs.first().innerText(), { timeout: 10_000 }).toBe('red sunset');
    await page.keyboard.press('Escape');
    await expect(recent.count()).resolves.toBe(0);

    // Delete removes the focused one (the service forgets it); Clear forgets all.
    await page.keyboard.press('ArrowDown'); // brings the list back
    await page.keyboard.press('ArrowDown'); // into it
    await expect(page.evaluate(() => document.activeElement?.textContent?.trim())).resolves.toBe('red sunset');
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await rig.service.handlers['search.recent']({})).map((r) => r.text)).toEqual(['at night']);
    // the list re-renders once the page has the service's answer (a frame or more after it, under load)
    await expect.poll(() => runs.count()).toBe(1);
    await recent.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(async () => (await rig.service.handlers['search.recent']({})).length).toBe(0);
    // the list closes once the page has the service's answer (it rendered one frame after it, under load)
    await expect.poll(() => recent.count(), { timeout: 5000 }).toBe(0);
    expect(rig.consoleErrors).toEqual([]);
  });

  it('drag to select: a band from blank space selects the tiles it covers; Shift adds', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: /All photos/ }).click();
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBe(N);
    const box = async (i: number) => (await tile(i).boundingBox())!;
    const a = await box(0);
    const b = await box(1);
    // From the blank strip left of the first tile (the grid's padding) to the middle of tile 1.
    await page.mouse.move(a.x - 8, a.y + 10);
    await page.mouse.down();
    await page.mouse.move(a.x + a.width / 2, a.y + 40, { steps: 4 });
    await expect(page.getByTestId('select-band').count()).resolves.toBe(1);
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 4 });
    await rig.shot('02-band');
    await page.mouse.up();
    await expect(page.getByTestId('select-band').count()).resolves.toBe(0);
    await expect(page.getByTestId('selection-count').textContent()).resolves.toBe('2 selected');
    await expect(page.locator('.tile[aria-selected="true"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-index'))))).resolves.toEqual([0, 1]);
    // No viewer opened by the release over tile 1.
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);

    // While selecting, a band may start on a tile; with Shift it adds to what is selected.
    const c = await box(3);
    const d = await box(4);
    await page.keyboard.down('Shift');
    await page.mouse.move(c.x + 20, c.y + 20);
    await page.mouse.down();
    await page.mouse.move(d.x + 30, d.y + 30, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await expect(page.getByTestId('selection-count').textContent()).resolves.toBe('4 selected');
    await shots('03-band-selected');

    // Without a modifier a new band replaces the selection.
    await page.mouse.move(c.x + 20, c.y + 20);
    await page.mouse.down();
    await page.mouse.move(c.x + 40, c.y + 40, { steps: 5 });
    await page.mouse.up();
    await expect(page.getByTestId('selection-count').textContent()).resolves.toBe('1 selected');
    await page.keyboard.press('Escape');
    expect(rig.consoleErrors).toEqual([]);
  });

  it('favouriting search results shows their hearts at once (selection bar and context menu)', async () => {
    const { page } = rig;
    const field = page.getByLabel('Search text');
    await field.fill('blue sky');
    await field.press('Enter');
    await expect.poll(() => page.locator('main .tile img').count(), { timeout: 20_000 }).toBeGreaterThan(2);
    const heart = (i: number) => tile(i).locator('.fav');
    await expect(heart(0).count()).resolves.toBe(0);
    await tile(0).click({ modifiers: ['Control'] });
    await tile(1).click({ modifiers: ['Control'] });
    await page.getByTestId('selection-bar').getByRole('button', { name: 'Favourite' }).click();
    await expect.poll(() => heart(0).count(), { timeout: 5000 }).toBe(1);
    await expect(heart(1).count()).resolves.toBe(1);
    // Focus stayed in the selection bar through the action: Esc clears the selection.
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('selection-bar').count()).resolves.toBe(0);
    await tile(2).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Favourite' }).click();
    await expect.poll(() => heart(2).count(), { timeout: 5000 }).toBe(1);
    await tile(0).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Remove from Favourites' }).click();
    await expect.poll(() => heart(0).count(), { timeout: 5000 }).toBe(0);
    await rig.shot('04-hearts');
    expect(rig.consoleErrors).toEqual([]);
  });

  it('light theme: sidebar counts keep 4.5:1 on active and hovered rows', async () => {
    const { page } = rig;
    await page.emulateMedia({ colorScheme: 'light' });
    await page.getByRole('button', { name: /All photos/ }).click();
    // Composites the backgrounds up the tree (rgba over rgba) and measures the WCAG ratio.
    const ratio = (el: Element) => {
      const rgba = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const lum = ([r, g, b]: number[]) => {
        const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
      };
      const layers: number[][] = [];
      for (let n: Element | null = el; n; n = n.parentElement) {
        const c = rgba(getComputedStyle(n).backgroundColor);
        if ((c[3] ?? 1) > 0) layers.push(c);
        if ((c[3] ?? 1) === 1) break;
      }
      let bg = [255, 255, 255];
      for (const c of layers.reverse()) bg = bg.map((v, i) => v * (1 - (c[3] ?? 1)) + c[i]! * (c[3] ?? 1));
      const [a, b] = [lum(rgba(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
      return (a! + 0.05) / (b! + 0.05);
    };
    const active = await page.getByTestId('nav-all-count').evaluate(ratio);
    const folderRow = page.getByRole('button', { name: /^Pictures/ }).first();
    await folderRow.hover();
    await page.waitForTimeout(200);
    const hovered = await folderRow.locator('.count').evaluate(ratio);
    console.log(`sidebar count contrast, light theme: active row ${active.toFixed(2)}:1, hovered row ${hovered.toFixed(2)}:1`);
    expect(active).toBeGreaterThanOrEqual(4.5);
    expect(hovered).toBeGreaterThanOrEqual(4.5);
    await page.emulateMedia({ colorScheme: 'dark' });
  });

  it('Models view: which image tower indexes and why, and the choice auto / float32 / int8 (persisted)', async () => {
    const { page } = rig;
    await page.goto(rig.server.url);
    await page.getByRole('button', { name: /^Models/ }).click();
    const box = page.getByTestId('precision');
    await box.waitFor();
    const before = (await rig.service.handlers['models.list']({})).find((m) => m.active)!.imagePrecision;
    expect(before).toBeTruthy(); // indexing ran, so the choice was made and explained
    await expect(page.getByTestId('precision-reason').textContent()).resolves.toBe(before!.reason);
    await expect(page.getByTestId('precision-now').textContent()).resolves.toBe(before!.precision === 'int8' ? 'int8' : 'float32');
    await expect(box.getByRole('radio', { name: /Automatic/ }).isChecked()).resolves.toBe(true);
    await shots('05-precision');

    // Keyboard: the radio group takes arrows; the choice is stored by the service and explained.
    await box.getByRole('radio', { name: /Automatic/ }).focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(async () => (await rig.service.handlers['settings.get']({})).imagePrecision, { timeout: 20_000 }).toBe('fp32');
    await expect.poll(() => page.getByTestId('precision-reason').textContent(), { timeout: 30_000 }).toMatch(/set in Settings|kept/);
    await expect(box.getByRole('radio', { name: /Always float32/ }).isChecked()).resolves.toBe(true);
    await page.reload();
    await page.getByRole('button', { name: /^Models/ }).click();
    await page.getByTestId('precision').waitFor();
    await expect(page.getByTestId('precision').getByRole('radio', { name: /Always float32/ }).isChecked()).resolves.toBe(true);
    await page.getByTestId('precision').getByRole('radio', { name: /Automatic/ }).check();
    await expect.poll(async () => (await rig.service.handlers['settings.get']({})).imagePrecision, { timeout: 20_000 }).toBe('auto');
    expect(rig.consoleErrors).toEqual([]);
  });
});
