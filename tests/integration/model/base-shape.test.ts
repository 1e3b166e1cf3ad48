// A random-weight checkpoint of the exact MagicLens-base tree (param_tree_base.json), written by TS in
// the official format, converted in a child process (time and peak RSS printed), loaded and run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFlaxCheckpoint, randomFill } from '../../../models/ts/checkpoint-writer.js';
import { loadPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const root = path.resolve(import.meta.dirname, '..', '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-base-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!G)('MagicLens-base shape, random weights', () => {
  it('converts, loads and runs all three graphs with the right output shapes', async () => {
    const tree = JSON.parse(fs.readFileSync(path.join(G!, 'param_tree_base.json'), 'utf8')) as { params: { path: string; shape: number[] }[] };
    const ckpt = path.join(tmp, 'magic_lens_clip_base_random.pkl');
    const t0 = performance.now();
    const bytes = writeFlaxCheckpoint(ckpt, tree.params.map((p, i) => ({
      path: p.path, shape: p.shape,
      // LayerNorm scales near 1 (CLIP) / 0 (MagicLens stores scale-1), everything else small
      fill: p.path.endsWith('/scale') && p.path.includes('/clip/') ? (o: Float32Array) => { randomFill(i, 0.1)(o); for (let j = 0; j < o.length; j++) o[j]! += 1; } : randomFill(i + 1, 0.02),
    })), { protocol: 4 });
    const writeS = (performance.now() - t0) / 1000;
    const out = path.join(tmp, 'pack');
    const res = execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'models/ts/convert-cli.ts'), '--checkpoint', ckpt, '--vocab', path.join(G!, 'bpe_simple_vocab_16e6.txt.gz'), '--out', out, '--id', 'random-base'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const summary = JSON.parse(res.trim().split('\n').pop()!) as { seconds: number; peakRssMiB: number };
    const sizes = Object.fromEntries(['image.onnx', 'text.onnx', 'fusion.onnx'].map((f) => [f, Math.round(fs.statSync(path.join(out, f)).size / 2 ** 20)]));
    console.log(`[base] checkpoint ${(bytes / 2 ** 20).toFixed(0)} MiB written in ${writeS.toFixed(1)} s; conversion ${summary.seconds} s, peak RSS ${summary.peakRssMiB} MiB; graphs MiB ${JSON.stringify(sizes)}`);
    // at most one extra copy: the checkpoint in memory plus runtime overhead, not two or three copies
    expect(summary.peakRssMiB).toBeLessThan(bytes / 2 ** 20 + 400);
    fs.rmSync(ckpt);

    const pack = await loadPack(out);
    expect(pack.manifest.architecture).toMatchObject({ embedDim: 512, imageSize: 224, visionLayers: 12, textLayers: 12, fusionLayers: 4 });
    const rt = await MagicLensRuntime.open(pack, { threads: 2, warmup: false });
    const t1 = performance.now();
    const img = await rt.embedImages(new Float32Array(2 * 224 * 224 * 3).map((_, i) => Math.sin(i * 0.001)), 2);
    const t2 = performance.now();
    const txt = await rt.embedTexts(['find a charger for it', 'a dog']);
    const fused = await rt.fuse(img, txt, 2);
    const target = await rt.targetEmbeddings(img, 2);
    console.log(`[base] image batch 2: ${(t2 - t1).toFixed(0)} ms; provider ${rt.provider}`);
    expect(img.length).toBe(2 * 512);
    expect(txt.length).toBe(2 * 512);
    expect(fused.length).toBe(2 * 512);
    expect(target.length).toBe(2 * 512);
    for (const v of [img, txt, fused]) expect(v.every(Number.isFinite)).toBe(true);
    for (let i = 0; i < 2; i++) {
      const n = Math.hypot(...fused.subarray(i * 512, (i + 1) * 512));
      expect(n).toBeCloseTo(1, 5);
    }
    await rt.close();
  }, 240_000);
});
