/// <reference lib="dom" />
// Repair library (issue 10) in Chromium against the real service: a real library with an album
// and a backup is damaged on disk (its vector tables' pages overwritten, as a bad disk would),
// the service is reopened on it, the UI shows the damaged state, Repair asks first and says
// what it does, then search works again and the folder and album are still there.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../app/server.js';
import type { EngineService } from '../../app/service.js';
import { backupLibrary, libraryFile } from '../../app/store/backup.js';
import { damageTables } from '../helpers/damage.js';
import { SKIP_NO_SHARED, tinyService } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { ARTIFACTS, axeViolations, buildRenderer, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, shotsEverySize, startRig, type Rig } from './harness.js';
import { writeScene } from './photos.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);
const N = 8;
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');


describe.skipIf(skip !== null)('repair library from the UI', () => {
  let rig: Rig;
  let service: EngineService;
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const shot = (n: string) => page.screenshot({ path: path.join(ARTIFACTS, `repair-${n}.png`) });
  async function shots(name: string) {
    await shotsEverySize(page, shot, name);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForTimeout(400); // colour transitions settle before axe measures contrast
  }

  beforeAll(async () => {
    rig = (await startRig('repair'))!;
    const lib = path.join(rig.root, 'Pictures');
    for (let i = 0; i < N; i++) await writeScene(path.join(lib, `D${i}.jpg`), 900 + i);
    await rig.service.handlers['folders.add']({ path: lib, exclude: [] });
    await rig.service.whenIdle();
    const ids = (await rig.service.handlers['photos.list']({ offset: 0, limit: 10, sort: 'name' })).items.map((p) => p.id);
    await rig.service.handlers['albums.createManual']({ name: 'Keepers', photoIds: ids.slice(0, 3) });
    await backupLibrary(rig.service.db, rig.service.dataDir);
    // The app is closed, the file is damaged on disk, the app is opened again.
    await rig.context.close();
    await rig.server.close();
    await rig.service.close();
    const damaged = damageTables(libraryFile(rig.service.dataDir), 'vec\\_clip\\_%');
    expect(damaged).toBeGreaterThan(0);
    service = (await tinyService(rig.root, { watch: false, threads: 1 }))!;
    server = await startServer({ service, staticDir: await buildRenderer() });
    context = await chromium.launchPersistentContext(path.join(rig.root, 'chromium-profile-2'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1360, height: 860 }, colorScheme: 'light' });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => errors.push(e.message));
  }, 180_000);
  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await server?.close();
    await service?.close();
    if (rig) fs.rmSync(rig.root, { recursive: true, force: true });
  });

  it('shows the damage, asks before repairing, then search works and folders and albums are kept', async () => {
    await page.goto(server.url);
    const banner = page.getByTestId('library-damaged');
    await banner.waitFor({ timeout: 30_000 });
    await shots('01-damaged-banner');
    // the sidebar's progress card does not call a damaged library "up to date"
    await expect.poll(() => page.getByTestId('progress').textContent(), { timeout: 10_000 }).toMatch(/Library needs repair/);
    await expect(axeViolations(page, AXE_SOURCE)).resolves.toEqual([]);
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByTestId('library-health').textContent()).resolves.toMatch(/damaged/);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(400);
    await expect(axeViolations(page, AXE_SOURCE)).resolves.toEqual([]);
    await shot('01b-settings-damaged-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    // A search meanwhile says why it cannot answer.
    await page.getByLabel('Search text').fill('sky');
    await page.getByLabel('Search text').press('Enter');
    await expect.poll(() => page.locator('main').textContent(), { timeout: 10_000 }).toMatch(/library damaged/i);

    await banner.getByRole('button', { name: 'Repair library…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Repair library' });
    await expect(dialog.textContent()).resolves.toMatch(/last backup.*Folders, albums and favourites as they were then come back.*never changed/s);
    await shots('02-confirm');
    await expect(axeViolations(page, AXE_SOURCE)).resolves.toEqual([]);
    await dialog.getByRole('button', { name: 'Repair library' }).click();
    await expect(dialog.getByTestId('repair-result').textContent({ timeout: 60_000 })).resolves.toMatch(/Restored the backup of/);
    await shot('03-result');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect(banner.count()).resolves.toBe(0);
    await expect.poll(() => page.getByTestId('progress').textContent(), { timeout: 10_000 }).toMatch(/Library up to date|Indexing|Scanning|Looking/);
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByTestId('library-health').textContent()).resolves.toMatch(/healthy/);

    // Search answers again; the folder and the album are as they were.
    await page.getByLabel('Search text').fill('sky');
    await page.getByLabel('Search text').press('Enter');
    await expect.poll(() => page.locator('main .tile').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect(page.locator('main').textContent()).resolves.not.toMatch(/Search failed/);
    await expect(page.getByRole('button', { name: /^Pictures/ }).count()).resolves.toBe(1);
    await page.getByRole('button', { name: /Keepers/ }).click();
    await expect.poll(() => page.locator('main .tile').count(), { timeout: 10_000 }).toBe(3);
    await shot('04-after');
    expect(errors).toEqual([]);
  });
});
