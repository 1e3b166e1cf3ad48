/// <reference lib="dom" />
// Selection and albums in Chromium against the real service (issue 14): click / Ctrl-click /
// Shift-click / tick / Ctrl+A / Esc, the selection bar's bulk actions (add to a new or existing
// manual album, remove, favourites, copy to a folder: copies only), rename, and freezing a
// smart album into a manual one. Screenshots light and dark at 1400×900 and 1000×700.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_NO_SHARED } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, shotsEverySize, startRig, type Rig } from './harness.js';
import { writeScene } from './photos.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);
const N = 10;
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');

describe.skipIf(skip !== null)('selection, bulk actions and albums', () => {
  let rig: Rig;
  let lib: string;
  const originals = new Map<string, string>();
  const tile = (i: number) => rig.page.locator(`.tile[data-index="${i}"]`);
  const count = () => rig.page.getByTestId('selection-count').textContent();
  const nameAt = async (i: number) => (await tile(i).getAttribute('data-name'))!;
  const shots = (name: string) => shotsEverySize(rig.page, rig.shot, name);

  beforeAll(async () => {
    rig = (await startRig('selection'))!;
    lib = path.join(rig.root, 'Pictures');
    for (let i = 0; i < N; i++) await writeScene(path.join(lib, `S${i}.jpg`), 500 + i);
    for (const f of fs.readdirSync(lib)) originals.set(f, `${sha(path.join(lib, f))}:${fs.statSync(path.join(lib, f)).mtimeMs}`);
    await rig.service.handlers['folders.add']({ path: lib, exclude: [] });
    await rig.service.whenIdle();
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('click opens; Ctrl-click, Shift-click and a plain click while selecting select; Esc clears', async () => {
    const { page } = rig;
    await page.goto(rig.server.url);
    await expect.poll(() => page.locator('.tile img').count(), { timeout: 30_000 }).toBe(N);
    await tile(0).click();
    await page.getByRole('dialog').first().waitFor();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('selection-bar').count()).resolves.toBe(0);
    await tile(1).click({ modifiers: ['Control'] });
    await tile(3).click({ modifiers: ['Control'] });
    await expect(count()).resolves.toBe('2 selected');
    await tile(5).click({ modifiers: ['Shift'] }); // from the anchor (3) to 5
    await expect(count()).resolves.toBe('4 selected');
    await tile(7).click(); // selecting: a plain click selects instead of opening
    await expect(count()).resolves.toBe('5 selected');
    await tile(7).click();
    await expect(count()).resolves.toBe('4 selected');
    await expect(page.locator('.tile[aria-selected="true"]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-index'))))).resolves.toEqual([1, 3, 4, 5]);
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
    await shots('01-selected');
    await tile(3).focus();
    await page.getByRole('grid', { name: 'Photos' }).focus();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('selection-bar').count()).resolves.toBe(0);
  });

  it('adds the selection to a new album, then to the same album; the photos are listed there', async () => {
    const { page } = rig;
    const names = [await nameAt(2), await nameAt(4)];
    await tile(2).click({ modifiers: ['Control'] });
    await tile(4).click({ modifiers: ['Control'] });
    await page.getByRole('button', { name: 'Add to album…' }).click();
    const picker = page.getByRole('dialog', { name: 'Add to album' });
    await picker.waitFor();
    await shots('02-album-picker-empty');
    await picker.getByLabel('New album').fill('Beach days');
    await picker.getByRole('button', { name: 'Create and add' }).click();
    await expect.poll(() => picker.count()).toBe(0);
    const albums = await rig.service.handlers['albums.list']({});
    const beach = albums.find((a) => a.name === 'Beach days')!;
    expect(beach).toMatchObject({ kind: 'manual', count: 2 });
    const members = async () => (await rig.service.handlers['albums.get']({ id: beach.id, offset: 0, limit: 50 })).hits.map((h) => h.photo.name).sort();
    await expect(members()).resolves.toEqual(names.sort());
    // The selection stays after an action; add one more photo to the existing album.
    await tile(6).click({ modifiers: ['Control'] });
    await page.getByRole('button', { name: 'Add to album…' }).click();
    await picker.getByRole('button', { name: /Beach days/ }).click();
    await expect.poll(members).toEqual([...names, await nameAt(6)].sort());
    await expect.poll(() => page.getByTestId(`album-${beach.id}`).getByTestId('album-count').textContent()).toBe('3');
  });

  it('Ctrl+A selects all, the tick unselects one; Favourite marks exactly those; the Favourites view lists them', async () => {
    const { page } = rig;
    await page.getByRole('grid', { name: 'Photos' }).focus();
    await page.keyboard.press('Control+a');
    await expect(count()).resolves.toBe(`${N} selected`);
    await tile(0).hover();
    await tile(0).locator('.tick').click();
    await expect(count()).resolves.toBe(`${N - 1} selected`);
    const left = await nameAt(0);
    await page.getByRole('button', { name: 'Favourite', exact: true }).click();
    await expect.poll(async () => (await rig.service.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name', favourites: true })).total).toBe(N - 1);
    const favs = (await rig.service.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name', favourites: true })).items.map((p) => p.name);
    expect(favs).not.toContain(left);
    await page.keyboard.press('Escape');
    await page.getByTestId('nav-favourites').click();
    await expect.poll(() => page.locator('.tile img').count()).toBe(N - 1);
    await expect(page.locator('.tile .fav').count()).resolves.toBe(N - 1);
  });

  it('copies the selection to a typed folder: relative path refused at the field, copies identical, originals untouched', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: /All photos/ }).click();
    await expect.poll(() => page.locator('.tile img').count()).toBe(N);
    const names = [await nameAt(0), await nameAt(1)];
    await tile(0).click({ modifiers: ['Control'] });
    await tile(1).click({ modifiers: ['Control'] });
    await page.getByRole('button', { name: 'Copy to folder…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Copy to folder' });
    await page.keyboard.type('exports'); // the field has focus
    await page.keyboard.press('Enter');
    await expect(dialog.getByTestId('export-path-error').textContent()).resolves.toMatch(/full path/);
    await dialog.getByLabel('Folder path').fill('\\\\server\\share');
    await page.keyboard.press('Enter');
    await expect(dialog.getByTestId('export-path-error').textContent()).resolves.toMatch(/UNC/);
    await shots('03-copy-error');
    const dest = path.join(rig.root, 'Exports', 'trip');
    await dialog.getByLabel('Folder path').fill(dest);
    await page.keyboard.press('Enter');
    await expect.poll(() => dialog.count(), { timeout: 20_000 }).toBe(0);
    expect(fs.readdirSync(dest).sort()).toEqual(names.sort());
    for (const n of names) expect(sha(path.join(dest, n))).toBe(sha(path.join(lib, n)));
    expect(new Map(fs.readdirSync(lib).map((f) => [f, `${sha(path.join(lib, f))}:${fs.statSync(path.join(lib, f)).mtimeMs}`]))).toEqual(originals);
    await page.keyboard.press('Escape');
  });

  it('a manual album: no scores, remove from album, rename', async () => {
    const { page } = rig;
    const beach = (await rig.service.handlers['albums.list']({})).find((a) => a.name === 'Beach days')!;
    await page.getByTestId(`album-${beach.id}`).click();
    await expect.poll(() => page.locator('.tile img').count()).toBe(3);
    await expect(page.locator('.tile .score').count()).resolves.toBe(0);
    await tile(0).click({ modifiers: ['Control'] });
    await page.getByRole('button', { name: 'Remove from album' }).click();
    await expect.poll(() => page.locator('.tile img').count()).toBe(2);
    await expect.poll(async () => (await rig.service.handlers['albums.get']({ id: beach.id, offset: 0, limit: 10 })).album.count).toBe(2);
    await expect(rig.service.handlers['photos.list']({ offset: 0, limit: 100, sort: 'name' })).resolves.toMatchObject({ total: N });
    await page.getByRole('button', { name: 'Rename album' }).click();
    await page.getByLabel('Album name').fill('Beach, summer');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Beach, summer');
    await expect.poll(async () => (await rig.service.handlers['albums.get']({ id: beach.id, offset: 0, limit: 1 })).album.name).toBe('Beach, summer');
    await shots('04-manual-album');
  });

  it('freezes a smart album into a manual album with the same photos', async () => {
    const { page } = rig;
    const photo = (await rig.service.handlers['photos.list']({ offset: 0, limit: 1, sort: 'name' })).items[0]!;
    const smart = await rig.service.handlers['albums.create']({ name: 'Look-alikes', query: { kind: 'similar', photoId: photo.id }, rule: { kind: 'topN', n: 4 }, filters: {} });
    await page.reload();
    await page.getByTestId(`album-${smart.id}`).click();
    await page.getByRole('button', { name: 'Make a fixed copy' }).click();
    await expect.poll(async () => (await rig.service.handlers['albums.list']({})).filter((a) => a.kind === 'manual').length).toBe(2);
    const frozen = (await rig.service.handlers['albums.list']({})).find((a) => a.name === 'Look-alikes (fixed)')!;
    expect(frozen.count).toBe(4);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Look-alikes (fixed)');
    await expect(page.getByTestId(`album-${frozen.id}`).count()).resolves.toBe(1);
  });

  it('the context menu favourites one photo and adds it (or the selection it belongs to) to an album', async () => {
    const { page } = rig;
    await page.getByRole('button', { name: /All photos/ }).click();
    await expect.poll(() => page.locator('.tile img').count()).toBe(N);
    const name = await nameAt(0);
    const id = Number(await tile(0).getAttribute('data-photo-id'));
    const isFav = async () => (await rig.service.handlers['photos.get']({ id })).favourite;
    const before = await isFav();
    await tile(0).click({ button: 'right' });
    await page.getByRole('menuitem', { name: before ? 'Remove from Favourites' : 'Favourite' }).click();
    await expect.poll(isFav).toBe(!before);
    await tile(0).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Add to album…' }).click();
    const picker = page.getByRole('dialog', { name: 'Add to album' });
    await expect(picker.getByRole('heading').textContent()).resolves.toBe('Add 1 photo to an album');
    await picker.getByRole('button', { name: /Look-alikes \(fixed\)/ }).click();
    const frozen = (await rig.service.handlers['albums.list']({})).find((a) => a.name === 'Look-alikes (fixed)')!;
    const names = async () => (await rig.service.handlers['albums.get']({ id: frozen.id, offset: 0, limit: 20 })).hits.map((h) => h.photo.name);
    await expect.poll(names).toContain(name);
    expect(rig.consoleErrors).toEqual([]);
  });
});
