// Issue 10 attack 3 (decompression bombs): concurrent decodes are bounded by their total pixels,
// read from the header, not by their number. Real PNGs decoded by the real ingest path under a
// small budget; the budget counts the pixels in flight and the test checks the sum never exceeds
// it while still letting photos that fit decode side by side. (Peak RSS with real bombs and the
// base-shape pack: bench/measure/decode-rss.ts.)
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MAX_PIXELS } from '../../../app/media/decode.js';
import { ingestImage } from '../../../app/media/ingest.js';
import { DECODE_BUDGET_PIXELS, decodeBudget, PixelBudget } from '../../../app/media/pixel-budget.js';
import type { PreprocessSpec } from '../../../app/media/preprocess.js';

const spec: PreprocessSpec = { size: 32, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], mode: 'squash' };
const grey = (w: number, h: number, v: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: v, g: v, b: v } } }).greyscale().png().toBuffer();
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('PixelBudget', () => {
  it('never has more pixels in flight than its budget, and runs what fits side by side', async () => {
    const b = new PixelBudget(100);
    let live = 0;
    let maxLive = 0;
    let maxTogether = 0;
    const job = (px: number) => b.run(px, async () => {
      live += px;
      maxLive = Math.max(maxLive, live);
      maxTogether = Math.max(maxTogether, b.current);
      await tick();
      live -= px;
    });
    await Promise.all([60, 30, 50, 10, 40, 40, 20, 90].map(job));
    expect(maxLive).toBeLessThanOrEqual(100);
    expect(b.peak).toBeLessThanOrEqual(100);
    expect(maxTogether).toBeGreaterThanOrEqual(90); // 60 + 30 ran together
    expect(b.current).toBe(0);
  });

  it('grants a request larger than the whole budget alone, and is FIFO (a big one is not starved)', async () => {
    const b = new PixelBudget(100);
    const order: string[] = [];
    const job = (name: string, px: number) => b.run(px, async () => {
      order.push(`+${name}:${b.current}`);
      await tick();
      order.push(`-${name}`);
    });
    await Promise.all([job('a', 50), job('huge', 500), job('c', 10)]);
    // huge waits for a, runs alone (counted as the whole budget), then c.
    expect(order).toEqual(['+a:50', '-a', '+huge:100', '-huge', '+c:10', '-c']);
  });

  it('gives the pixels back when the work throws', async () => {
    const b = new PixelBudget(10);
    await expect(b.run(10, async () => { throw new Error('bad file'); })).rejects.toThrow('bad file');
    expect(b.current).toBe(0);
    await b.run(10, async () => expect(b.current).toBe(10));
  });
});

describe('ingestImage under a pixel budget', () => {
  it('eight 1-MP PNG decodes with a 2.5-MP budget: at most two at once, all decoded', async () => {
    const files = await Promise.all(Array.from({ length: 8 }, (_, i) => grey(1000, 1000, 20 + i * 25)));
    const b = new PixelBudget(2_500_000);
    let maxInFlight = 0;
    const poll = setInterval(() => (maxInFlight = Math.max(maxInFlight, b.current)), 1);
    const out = await Promise.all(files.map((f) => ingestImage(f, spec, { thumb: true, budget: b })));
    clearInterval(poll);
    expect(out.map((o) => o.meta.width)).toEqual(Array(8).fill(1000));
    expect(out.every((o) => o.thumb !== null && o.pixels.length === 32 * 32 * 3)).toBe(true);
    expect(b.peak).toBe(2_000_000); // two fit, a third would not
    expect(maxInFlight).toBeLessThanOrEqual(2_500_000);
    expect(b.current).toBe(0);
  });

  it('the indexer path shares one process-wide budget (32 MP: a larger photo decodes alone or streamed)', async () => {
    expect(decodeBudget.totalPixels).toBe(DECODE_BUDGET_PIXELS);
    expect(DECODE_BUDGET_PIXELS).toBeLessThan(MAX_PIXELS);
    const before = decodeBudget.peak;
    await ingestImage(await grey(300, 200, 90), spec, { thumb: false });
    expect(decodeBudget.peak).toBeGreaterThanOrEqual(Math.max(before, 60_000));
    expect(decodeBudget.current).toBe(0);
  });
});
