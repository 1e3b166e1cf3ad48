/// <reference lib="dom" />
// The whole app by keyboard alone, against the real service: add a folder, search by text, pick a
// photo, give an instruction, open the context menu, Find related, save a smart album, open the
// viewer, then Models and Settings. Never a mouse; where focus is gets checked at every step.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_NO_SHARED } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, startRig, type Rig } from './harness.js';
import { writeScene } from './photos.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);

/** A short description of the focused element: tag, role, accessible label or text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const a = document.activeElement as HTMLElement | null;
    if (!a || a === document.body) return 'body';
    const name = a.getAttribute('aria-label') ?? a.getAttribute('name') ?? a.textContent?.trim().slice(0, 40) ?? '';
    return `${a.tagName.toLowerCase()}${a.getAttribute('role') ? `[${a.getAttribute('role')}]` : ''} ${name}`.trim();
  });
}

/** Presses Tab (or Shift+Tab) until the focused element matches; fails after `max` presses. */
async function tabTo(page: Page, want: RegExp, shift = false, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (want.test(await focused(page))) return;
    await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached ${want} (at: ${await focused(page)})`);
}

/** Tabs `n` times and returns whether focus stayed inside the element matching `selector`. */
async function tabStaysIn(page: Page, selector: string, n: number): Promise<boolean> {
  for (let i = 0; i < n; i++) {
    await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
    if (!(await page.evaluate((s) => !!document.activeElement?.closest(s), selector))) return false;
  }
  return true;
}

describe.skipIf(skip !== null)('keyboard only', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = (await startRig('keyboard'))!;
    for (let i = 0; i < 6; i++) await writeScene(path.join(rig.root, 'Trip', `T${i}.jpg`), 300 + i);
  });
  afterAll(async () => rig?.close());

  it('walks from an empty library to a saved smart album, the viewer, Models and Settings', async () => {
    const { page } = rig;
    await page.goto(rig.server.url);
    await page.getByRole('heading', { name: 'Welcome to MagicLens' }).waitFor();

    // Add a folder: the dialog takes focus, keeps Tab inside, and focus goes on to the search field.
    await tabTo(page, /^button Add a folder$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('input folder-path');
    expect(await tabStaysIn(page, 'dialog', 6)).toBe(true);
    await page.keyboard.press('Escape'); // Esc closes and returns focus to the opener
    await expect.poll(() => focused(page)).toBe('button Add a folder');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('input folder-path');
    await rig.shot('01-add-folder-dialog');
    await page.keyboard.type(path.join(rig.root, 'Trip'));
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page), { timeout: 20_000 }).toBe('input Search text');
    await page.getByTestId('progress').and(page.locator('[data-state="idle"]')).waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 20_000 }).toBe(6);

    // Text search: focus stays in the field, the result count is announced.
    await page.keyboard.type('a sunny beach');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('announcer').textContent(), { timeout: 20_000 }).toMatch(/^\d+ results? for 'a sunny beach'$/);
    expect(await focused(page)).toBe('input Search text');

    // Pick a photo: the "Photo" menu takes focus, "Pick from library" hands it to the grid.
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toBe('button Search from a photo');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('button[menuitem] Pick from library');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('div[grid] Search results');
    // On entry the first photo is the active one, with a ring.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-activedescendant'))).toBe('tile-0');
    await rig.shot('02-grid-entry-ring');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('input Instruction');

    // Instruction → composed results.
    await page.keyboard.type('at night');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('announcer').textContent(), { timeout: 20_000 }).toMatch(/^\d+ results? for .+ \+ 'at night'$/);

    // Context menu from the grid (Shift+F10): focus on its first item; Esc brings it back.
    await tabTo(page, /^div\[grid\] Search results$/);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-activedescendant'))).toBe('tile-1');
    await page.keyboard.press('Shift+F10');
    await expect.poll(() => focused(page)).toBe('button[menuitem] Find related…');
    await rig.shot('03-context-menu');
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('div[grid] Search results');
    await page.keyboard.press('Shift+F10');
    await expect.poll(() => focused(page)).toBe('button[menuitem] Find related…');
    await page.keyboard.press('Enter'); // Find related…
    await expect.poll(() => focused(page)).toBe('input Instruction');
    await page.keyboard.type('in red');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('announcer').textContent(), { timeout: 20_000 }).toMatch(/\+ 'in red'$/);

    // Save as smart album: focus in, Tab trapped, submit returns focus to the button.
    await tabTo(page, /^button Save as smart album$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('input album-name');
    expect(await tabStaysIn(page, 'dialog', 6)).toBe(true);
    await rig.shot('04-save-album-dialog');
    await tabTo(page, /^input album-name$/);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /in red/ }).waitFor({ timeout: 20_000 });
    await expect.poll(() => focused(page)).toBe('button Save as smart album');

    // Viewer: Enter opens it with focus inside, Tab stays inside, Esc returns to the grid.
    await tabTo(page, /^div\[grid\] Search results$/);
    await page.keyboard.press('Enter');
    await page.locator('.viewer').waitFor();
    await expect.poll(() => focused(page)).toBe('button Close');
    expect(await tabStaysIn(page, '.viewer', 6)).toBe(true);
    await rig.shot('05-viewer-focus');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.viewer').count()).toBe(0);
    await expect.poll(() => focused(page)).toBe('div[grid] Search results');

    // Models, then Settings and the light theme, from the sidebar.
    await tabTo(page, /^button Models/, true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    expect(await focused(page)).toMatch(/^button Models/);
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^button Settings/);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await tabTo(page, /^button\[radio\] Light$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme), { timeout: 20_000 }).toBe('light');
    await rig.shot('06-settings-focus-light');
    expect(rig.consoleErrors).toEqual([]);
  });

  it('search → select → add to a new album → viewer → the album, by keyboard alone (issue 14)', async () => {
    const { page } = rig;
    const count = () => page.getByTestId('selection-count').textContent();
    await page.keyboard.press('/');
    await expect.poll(() => focused(page)).toBe('input Search text');
    await page.keyboard.type('a sunny beach');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('announcer').textContent(), { timeout: 20_000 }).toMatch(/^\d+ results? for 'a sunny beach'$/);
    const total = await page.locator('.tile').count();

    // Space selects the active photo, Shift+Space extends, Ctrl+A takes all, Esc clears.
    await tabTo(page, /^div\[grid\] Search results$/);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    await expect.poll(count).toBe('1 selected');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Shift+Space');
    await expect.poll(count).toBe('3 selected');
    await page.keyboard.press('Control+a');
    await expect.poll(count).toBe(`${total} selected`);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('selection-bar').count()).toBe(0);
    expect(await focused(page)).toBe('div[grid] Search results');
    await page.keyboard.press('Space'); // tile 2 is still the active one
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Space');
    await expect.poll(count).toBe('2 selected');
    const picked = await page.locator('.tile[aria-selected="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')!).sort());

    // The bar comes next in Tab order; the album picker takes focus; the new album gets the photos.
    await tabTo(page, /^button Add to album…$/);
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page)).toBe('input new-album');
    expect(await tabStaysIn(page, 'dialog', 5)).toBe(true);
    await tabTo(page, /^input new-album$/);
    await page.keyboard.type('Keyboard picks');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('dialog', { name: 'Add to album' }).count()).toBe(0);
    await expect.poll(() => focused(page)).toBe('button Add to album…');
    const album = (await rig.service.handlers['albums.list']({})).find((a) => a.name === 'Keyboard picks')!;
    const members = await rig.service.handlers['albums.get']({ id: album.id, offset: 0, limit: 10 });
    expect(members.hits.map((h) => h.photo.name).sort()).toEqual(picked);
    await rig.shot('07-selection-bar-focus');

    // Esc on the bar clears and hands focus back to the grid; Enter opens the viewer; zoom by key.
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('div[grid] Search results');
    await page.keyboard.press('Enter');
    await page.locator('.viewer').waitFor();
    await expect.poll(() => focused(page)).toBe('button Close');
    await page.keyboard.press('+');
    await expect.poll(async () => Number(await page.locator('.viewer .stage').getAttribute('data-zoom'))).toBeGreaterThan(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => focused(page)).toBe('div[grid] Search results');

    // The album, from the sidebar.
    await tabTo(page, /^button Keyboard picks/, true, 60);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Keyboard picks', level: 1 }).waitFor();
    await expect.poll(() => page.locator('.tile').count()).toBe(2);
    expect(rig.consoleErrors).toEqual([]);
  });
});
