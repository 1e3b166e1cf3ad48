// WebGPU, the provider onnxruntime-node 1.30 bundles for Windows, macOS and Linux x64: where Dawn finds
// an adapter the golden tiny model runs on it and agrees with the official outputs; where it finds none
// (this machine: no GPU) the runtime falls back to the CPU with the reason, and still agrees exactly.
import ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { goldenDir, tinyPackDir } from '../../helpers/tiny-pack.js';
import { compare, flat } from '../../helpers/compare.js';
import { readGolden, type GoldenTiny } from '../../../app/model/golden.js';
import { loadPack } from '../../../app/model/pack.js';
import { defaultProviders, MagicLensRuntime, providerUnavailable } from '../../../app/model/runtime.js';

const G_DIR = goldenDir();

describe('execution providers offered per platform', () => {
  it('WebGPU follows the platform GPU provider on Windows and macOS; Linux keeps CUDA then CPU', () => {
    expect(defaultProviders('win32')).toEqual(['cuda', 'dml', 'webgpu', 'cpu']);
    expect(defaultProviders('darwin')).toEqual(['coreml', 'webgpu', 'cpu']);
    expect(defaultProviders('linux')).toEqual(['cuda', 'cpu']);
  });

  it("a provider missing from this onnxruntime-node build is skipped with the reason, without asking ORT", () => {
    const bundled = new Set(ort.listSupportedBackends().map((b) => b.name));
    for (const p of ['dml', 'coreml', 'webgpu'] as const) {
      const why = providerUnavailable(p);
      if (bundled.has(p)) expect(why).toBeNull();
      else expect(why).toMatch(new RegExp(`^${p} is not in onnxruntime-node's build for ${process.platform}-${process.arch}`));
    }
    expect(providerUnavailable('cpu')).toBeNull();
  });
});

describe.skipIf(!G_DIR)('WebGPU on the golden tiny model', () => {
  let G: GoldenTiny;
  let rt: MagicLensRuntime;
  beforeAll(async () => {
    G = readGolden(G_DIR!);
    rt = await MagicLensRuntime.open(await loadPack((await tinyPackDir())!), { providers: ['webgpu', 'cpu'], threads: 1 });
  }, 60_000);

  it('runs on WebGPU where an adapter exists, else on the CPU with the reason recorded', () => {
    if (rt.provider === 'webgpu') return expect(rt.fallbacks).toEqual([]);
    expect(rt.provider).toBe('cpu');
    expect(rt.fallbacks.map((f) => f.provider)).toEqual(['webgpu']);
    expect(rt.fallbacks[0]!.error).toMatch(/WebGPU|adapter|not in onnxruntime-node's build/i);
  });

  it('image and text embeddings agree with the official outputs on whichever provider runs', async () => {
    // the CPU keeps the golden test's 1e-5; a GPU's float16 towers (precision 'auto') 2e-2
    const tol = rt.provider === 'cpu' ? 1e-5 : 2e-2;
    const px = new Float32Array(G.images.flatMap((im) => flat(im.preprocessed_32x32x3)));
    const img = compare(await rt.embedImages(px, 3), G.images.flatMap((im) => im.clip_image_embed));
    const txt = compare(await rt.embedTexts(G.texts), flat(G.text_embeds));
    for (const r of [img, txt]) {
      expect(r.maxAbs).toBeLessThanOrEqual(tol);
      expect(r.cosine).toBeGreaterThanOrEqual(0.999);
    }
  });
});
