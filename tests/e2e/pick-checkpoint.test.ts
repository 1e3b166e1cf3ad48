/// <reference lib="dom" />
// Issue 11's fallback in a browser, where no file path exists: the downloaded .pkl is chosen with
// "Choose the .pkl…" on the Models page, or dropped onto the window; its bytes go to the bridge's
// upload route and the same installer as a local file installs it. Real Chromium, service, ORT.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenDir } from '../helpers/tiny-pack.js';
import { chromiumMissing, startRig, type Rig } from './harness.js';

const G = goldenDir();
const skip = chromiumMissing() ?? (G ? null : 'the golden tiny checkpoint is not in ../shared/reference/magiclens');

describe.skipIf(skip !== null)('picking or dropping the downloaded checkpoint in the browser', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = (await startRig('pick-pkl'))!;
  }, 120_000);
  afterAll(async () => rig?.close());

  const ended: { jobId: string; phase: string }[] = [];
  const realPacks = async () => (await rig.service.handlers['models.list']({})).filter((m) => !m.demo).map((m) => m.id);

  it('a dropped non-checkpoint is refused; the chosen .pkl installs and then a dropped one re-installs it', async () => {
    const { page } = rig;
    rig.service.onEvent((e) => {
      const d = e.data as { jobId: string; phase: string };
      if (e.event === 'models.installProgress' && (d.phase === 'done' || d.phase === 'error') && !ended.some((x) => x.jobId === d.jobId)) ended.push(d);
    });
    const ck = path.join(G!, 'tiny_checkpoint.pkl');
    await page.goto(rig.server.url);
    await page.getByRole('button', { name: /^Models/ }).click();
    const pick = page.getByTestId('pick-pkl');
    await pick.waitFor();
    await rig.shot('01-models-choose-pkl');

    // a dropped file that is no checkpoint: a clear message, nothing sent
    const drop = async (name: string, bytes: number[]) =>
      page.evaluate(
        ({ name, bytes }) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(bytes)], name));
          document.querySelector('main')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        { name, bytes },
      );
    await drop('notes.txt', [1, 2, 3]);
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/notes\.txt: drop a MagicLens checkpoint \(\.pkl\) here/);
    expect(await realPacks()).toEqual([]);

    const chooser = page.waitForEvent('filechooser');
    await pick.click();
    await (await chooser).setFiles(ck);
    const card = page.getByTestId('install-progress');
    await expect.poll(() => card.textContent().catch(() => ''), { timeout: 90_000 }).toMatch(/Installed/);
    expect(ended).toMatchObject([{ phase: 'done' }]);
    await card.scrollIntoViewIfNeeded();
    await rig.shot('02-installed-from-chosen-pkl');
    const ids = await realPacks();
    expect(ids).toHaveLength(1);
    await expect.poll(async () => (await page.locator('.model h3').allTextContents()).join('|')).toContain('MagicLens (uploaded-checkpoint.pkl)');
    expect(fs.readdirSync(path.join(rig.service.dataDir, 'uploads'))).toEqual([]);

    // the same file dropped onto the window from another page goes the same way (a re-install
    // in place: same architecture, same pack id) and brings the Models page up
    await page.getByRole('button', { name: /^Settings/ }).click();
    await drop('magic_lens_clip_base.pkl', [...fs.readFileSync(ck)]);
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await expect.poll(() => ended.length, { timeout: 90_000 }).toBe(2);
    expect(ended[1]).toMatchObject({ phase: 'done' });
    await expect.poll(() => card.textContent().catch(() => '')).toMatch(/Installed/);
    await card.scrollIntoViewIfNeeded();
    await rig.shot('03-installed-from-dropped-pkl');
    expect(await realPacks()).toEqual(ids);
    expect(fs.readdirSync(path.join(rig.service.dataDir, 'uploads'))).toEqual([]);
    expect(rig.consoleErrors).toEqual([]);
  }, 240_000);
});
