/// <reference lib="dom" />
// WCAG 2.2 A/AA, measured by axe-core inside the real UI (real service, real ONNX Runtime, real
// files) over the app's twelve states, each in light and dark at two window sizes. Any violation
// fails the test; the state × theme × size table is printed either way.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SKIP_NO_SHARED } from '../helpers/engine.js';
import { goldenDir } from '../helpers/tiny-pack.js';
import { axeViolations, chromiumMissing, startRig, type AxeViolation, type Rig } from './harness.js';
import { writeScene } from './photos.js';

const skip = chromiumMissing() ?? (goldenDir() ? null : SKIP_NO_SHARED);
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SIZES = [
  { width: 1400, height: 900 },
  { width: 1000, height: 700 },
] as const;
const THEMES = ['light', 'dark'] as const;

interface State {
  name: string;
  /** Brings the UI into this state from the previous one (in list order). */
  enter(rig: Rig): Promise<void>;
  /** Overlays that a window resize closes (the context menu) are opened again per size. */
  reopenOnResize?: boolean;
}

const dialog = (rig: Rig, name: string) => rig.page.getByRole('dialog', { name });

const STATES: State[] = [
  { name: 'welcome', enter: async (r) => void (await r.page.getByRole('heading', { name: 'Welcome to MagicLens' }).waitFor()) },
  {
    name: 'add-folder dialog',
    enter: async (r) => {
      await r.page.getByRole('button', { name: 'Add a folder' }).click();
      await dialog(r, 'Add folder').waitFor();
    },
  },
  {
    name: 'grid',
    enter: async (r) => {
      await r.page.getByLabel('Folder path').fill(path.join(r.root, 'Holiday'));
      await r.page.keyboard.press('Enter');
      await r.page.getByTestId('progress').and(r.page.locator('[data-state="idle"]')).waitFor({ timeout: 60_000 });
      await expect.poll(() => r.page.locator('.tile').count(), { timeout: 20_000 }).toBe(7); // 7 photos (the broken file is listed under Problems, not in the grid)
      await r.page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.tile img')].every((i) => i.complete));
      await r.page.getByRole('grid', { name: 'Photos' }).focus();
      await r.page.keyboard.press('ArrowRight');
    },
  },
  // Issue 14: the selection bar, the album picker, the copy dialog with its field error, a manual album.
  {
    name: 'selection bar',
    enter: async (r) => {
      await r.page.locator('.tile').nth(0).click({ modifiers: ['Control'] });
      await r.page.locator('.tile').nth(2).click({ modifiers: ['Control'] });
      await r.page.getByTestId('selection-bar').waitFor();
    },
  },
  {
    name: 'album picker',
    enter: async (r) => {
      await r.page.getByRole('button', { name: 'Add to album…' }).click();
      await dialog(r, 'Add to album').waitFor();
    },
  },
  {
    name: 'copy-to-folder dialog',
    enter: async (r) => {
      await r.page.keyboard.press('Escape');
      await r.page.getByRole('button', { name: 'Copy to folder…' }).click();
      await dialog(r, 'Copy to folder').waitFor();
      await r.page.getByLabel('Folder path').fill('relative/path');
      await r.page.keyboard.press('Enter');
      await r.page.getByTestId('export-path-error').waitFor();
    },
  },
  {
    name: 'manual album',
    enter: async (r) => {
      await r.page.keyboard.press('Escape');
      await r.page.getByRole('button', { name: 'Add to album…' }).click();
      await dialog(r, 'Add to album').getByLabel('New album').fill('Picks');
      await r.page.keyboard.press('Enter');
      await expect.poll(() => dialog(r, 'Add to album').count()).toBe(0);
      await r.page.keyboard.press('Escape');
      await r.page.getByRole('button', { name: /^Picks/ }).click();
      await r.page.getByRole('heading', { name: 'Picks', level: 1 }).waitFor();
      await expect.poll(() => r.page.locator('.tile img').count(), { timeout: 20_000 }).toBe(2);
    },
  },
  {
    name: 'text results',
    enter: async (r) => {
      await r.page.getByLabel('Search text').fill('red dress');
      await r.page.keyboard.press('Enter');
      await r.page.getByText('“red dress”').first().waitFor();
      await expect.poll(() => r.page.locator('.tile img').count(), { timeout: 20_000 }).toBeGreaterThan(3);
    },
  },
  {
    name: 'context menu',
    reopenOnResize: true,
    enter: async (r) => {
      await r.page.locator('.tile').first().click({ button: 'right' });
      await r.page.getByRole('menu', { name: 'Photo actions' }).waitFor();
    },
  },
  {
    name: 'photo+instruction results',
    enter: async (r) => {
      if ((await r.page.getByRole('menu', { name: 'Photo actions' }).count()) === 0) await r.page.locator('.tile').first().click({ button: 'right' });
      await r.page.getByRole('menuitem', { name: 'Find related…' }).click();
      await r.page.getByLabel('Instruction').fill('at night');
      await r.page.keyboard.press('Enter');
      await r.page.getByText('“at night”').first().waitFor();
      await expect.poll(() => r.page.locator('.tile img').count(), { timeout: 20_000 }).toBeGreaterThan(3);
    },
  },
  {
    name: 'save-album dialog',
    enter: async (r) => {
      await r.page.getByRole('button', { name: 'Save as smart album' }).click();
      await dialog(r, 'Save as smart album').waitFor();
    },
  },
  {
    name: 'viewer',
    enter: async (r) => {
      await r.page.keyboard.press('Escape');
      await r.page.locator('.tile').nth(1).click();
      await r.page.locator('.viewer').waitFor();
      await r.page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('.viewer img')].every((i) => i.complete));
    },
  },
  {
    name: 'Models',
    enter: async (r) => {
      await r.page.keyboard.press('Escape');
      await r.page.getByRole('button', { name: 'Models' }).click();
      await r.page.getByRole('heading', { name: 'Models' }).waitFor();
    },
  },
  {
    name: 'Settings',
    enter: async (r) => {
      await r.page.getByRole('button', { name: 'Settings' }).click();
      await r.page.getByRole('heading', { name: 'Settings' }).waitFor();
    },
  },
  {
    name: 'Problems',
    enter: async (r) => {
      await r.page.getByTestId('nav-errors').click();
      await r.page.getByRole('heading', { name: /Problems/ }).first().waitFor();
    },
  },
  {
    name: 'recent searches',
    reopenOnResize: true,
    enter: async (r) => {
      await r.page.getByLabel('Search text').fill('');
      await r.page.getByLabel('Search text').focus();
      await r.page.getByTestId('recent-searches').waitFor();
    },
  },
];

describe.skipIf(skip !== null)('accessibility: axe-core over every state, both themes, two sizes', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = (await startRig('a11y'))!;
    const photos = path.join(rig.root, 'Holiday');
    for (let i = 0; i < 7; i++) await writeScene(path.join(photos, `IMG_${1000 + i}.jpg`), 900 + i);
    // One unreadable file, so the Problems view has something to show.
    fs.writeFileSync(path.join(photos, 'broken.jpg'), Buffer.from('not a jpeg at all'));
  });
  afterAll(async () => rig?.close());

  it('finds zero WCAG 2.2 A/AA violations', async () => {
    const { page } = rig;
    await page.goto(rig.server.url);
    const rows: { state: string; theme: string; size: string; count: number; found: AxeViolation[] }[] = [];
    for (const s of STATES) {
      await s.enter(rig);
      for (const size of SIZES) {
        await page.setViewportSize(size);
        if (s.reopenOnResize) await s.enter(rig);
        for (const theme of THEMES) {
          await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
          const found = await axeViolations(page, AXE_SOURCE);
          rows.push({ state: s.name, theme, size: `${size.width}×${size.height}`, count: found.length, found });
          if (size === SIZES[0]) await rig.shot(`${s.name.replace(/[^a-z]+/gi, '-')}-${theme}`);
        }
      }
    }
    const table = rows.map((r) => `${r.state.padEnd(26)} ${r.theme.padEnd(6)} ${r.size.padEnd(9)} ${r.count}`).join('\n');
    console.log(`axe (WCAG 2.2 A/AA): state, theme, size, violations\n${table}`);
    const bad = rows.filter((r) => r.count > 0).map((r) => `${r.state} ${r.theme} ${r.size}:\n${r.found.map((v) => `  ${v.id} (${v.impact}): ${v.nodes.join(' | ')}`).join('\n')}`);
    expect(bad.join('\n')).toBe('');
    expect(rows.length).toBe(STATES.length * SIZES.length * THEMES.length);
  });
});
