// The bulk lane's runtime opens no text tower when e_text("") is handed to it (RuntimeOptions.emptyText):
// real ONNX Runtime on the tiny golden pack, in this thread and in the bulk worker thread. Its index-side
// embeddings must equal those of a runtime that computes e_text("") itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBulkLane } from '../../../app/index/bulk-lane.js';
import { loadPack, type ModelPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { goldenDir, tinyPackDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.skipIf(!G)('images-only runtime (bulk lane without a text tower)', () => {
  let pack: ModelPack;
  let full: MagicLensRuntime;
  let px: Float32Array;
  let reference: { clip: Float32Array; target: Float32Array };
  beforeAll(async () => {
    pack = await loadPack((await tinyPackDir())!);
    full = await MagicLensRuntime.open(pack, { providers: ['cpu'], warmup: false });
    const S = full.imageSize;
    px = new Float32Array(3 * S * S * 3).map((_, i) => Math.cos(i * 0.11));
    const clip = await full.embedImages(px, 3);
    reference = { clip, target: await full.targetEmbeddings(clip, 3) };
  }, 120_000);
  afterAll(() => full?.close());

  it('opens only fusion (and the image tower), gives the same targets, refuses other texts', async () => {
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], warmup: false, imageTower: 'eager', emptyText: await full.emptyTextEmbedding() });
    try {
      expect(rt.sessions.map((s) => s.graph).sort()).toEqual(['fusion.onnx', 'image.onnx']);
      const clip = await rt.embedImages(px, 3);
      expect(maxAbs(await rt.targetEmbeddings(clip, 3), reference.target)).toBeLessThanOrEqual(1e-6);
      await expect(rt.embedText('a red dress')).rejects.toThrow(/no text tower/);
    } finally {
      await rt.close();
    }
  }, 120_000);

  it('refuses an e_text("") of the wrong width', async () => {
    await expect(MagicLensRuntime.open(pack, { providers: ['cpu'], warmup: false, emptyText: new Float32Array(full.dim + 1) })).rejects.toThrow(/emptyText: expected/);
  }, 60_000);

  it('the bulk worker thread embeds with the handed-over e_text("") exactly as the full runtime', async () => {
    const lane = await openBulkLane(pack, { threads: 1, providers: ['cpu'], imageBatch: 2, emptyText: await full.emptyTextEmbedding() });
    try {
      expect(lane.fallbackReason).toBeNull();
      const out = await lane.embed(px.slice(), 3);
      expect(maxAbs(out.clip, reference.clip)).toBeLessThanOrEqual(1e-6);
      expect(maxAbs(out.target, reference.target)).toBeLessThanOrEqual(1e-6);
    } finally {
      await lane.close();
    }
  }, 120_000);
});
