// The bulk lane's idle release (app/index/bulk-lane.ts, real worker thread, real ONNX Runtime, tiny pack):
// idle() frees the image tower's session and keeps the worker; the next batch (or wake()) reopens it
// from the optimised-graph cache, and the embeddings are the same as before the release.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openBulkLane } from '../../../app/index/bulk-lane.js';
import { loadPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';

const dir = await tinyPackDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bulk-idle-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pixels(S: number, n: number, seed: number): Float32Array {
  return new Float32Array(n * S * S * 3).map((_, i) => Math.sin(i * 0.37 + seed));
}

describe.skipIf(!dir)('bulk lane idle release', () => {
  it('the runtime frees its image tower and reopens it from the cache on the next photo', async () => {
    const pack = await loadPack(dir!);
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: path.join(tmp, 'rt'), imageTower: 'eager', warmup: false });
    try {
      const S = rt.imageSize;
      const a = await rt.embedImages(pixels(S, 2, 1), 2);
      await rt.releaseImage();
      const b = await rt.embedImages(pixels(S, 2, 1), 2);
      expect(Array.from(b)).toEqual(Array.from(a));
      // opened twice: built at first, then from the cache after the release
      expect(rt.sessions.filter((s) => s.graph === 'image.onnx').map((s) => s.source)).toEqual(['built', 'cache']);
    } finally {
      await rt.close();
    }
  });

  it('the worker lane stays alive through idle(); wake() and embed() bring the image tower back', async () => {
    const pack = await loadPack(dir!);
    const lane = await openBulkLane(pack, { threads: 1, providers: ['cpu'], graphCacheDir: path.join(tmp, 'lane'), imageBatch: 2 });
    try {
      expect(lane.fallbackReason).toBeNull();
      const S = pack.manifest.image.size;
      const before = await lane.embed(pixels(S, 3, 2), 3);
      await lane.idle();
      expect(lane.imageOpen).toBe(false);
      expect(lane.alive).toBe(true);
      const after = await lane.embed(pixels(S, 3, 2), 3);
      expect(lane.imageOpen).toBe(true);
      expect(Array.from(after.clip)).toEqual(Array.from(before.clip));
      expect(Array.from(after.target)).toEqual(Array.from(before.target));
      await lane.idle();
      await lane.wake();
      expect(lane.imageOpen).toBe(true);
      expect((await lane.embed(pixels(S, 1, 3), 1)).clip).toHaveLength(pack.manifest.architecture.embedDim);
    } finally {
      await lane.close();
    }
  });
});
