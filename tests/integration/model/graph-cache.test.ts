// Optimised graphs cached per machine (app/model/graph-cache.ts) on the tiny golden pack, real ONNX Runtime:
// the first open builds the cache, the next loads it; a stale key or a damaged cached graph is never used
// (the original graph opens and the cache is rebuilt); results equal those of the original graphs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphCache } from '../../../app/model/graph-cache.js';
import { loadPack, type ModelPack } from '../../../app/model/pack.js';
import { MagicLensRuntime } from '../../../app/model/runtime.js';
import { goldenDir, tinyPackDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-graph-cache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Outputs { text: Float32Array; image: Float32Array; fused: Float32Array }

async function outputs(rt: MagicLensRuntime): Promise<Outputs> {
  const S = rt.imageSize;
  const px = new Float32Array(2 * S * S * 3).map((_, i) => Math.sin(i * 0.37));
  const text = await rt.embedTexts(['a red dress', 'the same but at night', '']);
  const image = await rt.embedImages(px, 2);
  const fused = await rt.fuse(image, text.subarray(0, rt.dim), 2);
  return { text, image, fused };
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const sources = (rt: MagicLensRuntime) => Object.fromEntries(rt.sessions.map((s) => [s.graph, s.source]));

describe.skipIf(!G)('optimised graph cache', () => {
  let pack: ModelPack;
  let reference: Outputs;
  beforeAll(async () => {
    pack = await loadPack((await tinyPackDir())!);
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], warmup: false });
    reference = await outputs(rt);
    await rt.close();
  }, 120_000);

  it('builds once, then loads the cached graphs; results equal the original graphs (max-abs ≤ 1e-5)', async () => {
    const dir = path.join(tmp, 'hit');
    const first = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: dir, warmup: false });
    // text and fusion open at once; the image tower only when a photo needs it
    expect(sources(first)).toEqual({ 'text.onnx': 'built', 'fusion.onnx': 'built' });
    const a = await outputs(first);
    expect(sources(first)['image.onnx']).toBe('built');
    await first.close();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.onnx'))).toHaveLength(3);
    for (const level of ['disabled', 'basic'] as const) {
      const again = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: dir, warmup: false, graphCache: { cachedLevel: level } });
      const b = await outputs(again);
      expect(sources(again)).toEqual({ 'text.onnx': 'cache', 'fusion.onnx': 'cache', 'image.onnx': 'cache' });
      await again.close();
      for (const k of ['text', 'image', 'fused'] as const) {
        expect(maxAbs(a[k], reference[k])).toBeLessThanOrEqual(1e-5);
        expect(maxAbs(b[k], reference[k])).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it('a stale key (another CPU or runtime version) is not used: the graph is rebuilt under its own key', async () => {
    const dir = path.join(tmp, 'stale');
    const sha = pack.manifest.files['fusion.onnx']!.sha256;
    const here = new GraphCache({ dir, cpu: 'cpu-a', ortVersion: '1.0.0' });
    const so = { executionProviders: ['cpu'] };
    expect((await here.open(pack.path('fusion.onnx'), sha, so)).source).toBe('built');
    expect((await here.open(pack.path('fusion.onnx'), sha, so)).source).toBe('cache');
    const otherCpu = new GraphCache({ dir, cpu: 'cpu-b', ortVersion: '1.0.0' });
    expect(otherCpu.fileFor(otherCpu.keyParts(sha, 'cpu'))).not.toBe(here.fileFor(here.keyParts(sha, 'cpu')));
    expect((await otherCpu.open(pack.path('fusion.onnx'), sha, so)).source).toBe('built');
    const otherOrt = new GraphCache({ dir, cpu: 'cpu-a', ortVersion: '2.0.0' });
    expect((await otherOrt.open(pack.path('fusion.onnx'), sha, so)).source).toBe('built');
    // a record that names other key parts than the file's own (copied from elsewhere) is stale too
    const file = here.fileFor(here.keyParts(sha, 'cpu'));
    const meta = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')) as { cpu: string };
    fs.writeFileSync(`${file}.json`, JSON.stringify({ ...meta, cpu: 'cpu-z' }));
    const r = await here.open(pack.path('fusion.onnx'), sha, so);
    expect(r.source).toBe('built');
    expect(r.rejected).toMatch(/another graph, runtime, provider or CPU/);
    expect((await here.open(pack.path('fusion.onnx'), sha, so)).source).toBe('cache');
  });

  it('a damaged cached graph is detected, the original graph answers, and the cache is rebuilt', async () => {
    const dir = path.join(tmp, 'damaged');
    const warm = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: dir, warmup: false, imageTower: 'eager' });
    await warm.close();
    const cache = new GraphCache({ dir });
    const textFile = cache.fileFor(cache.keyParts(pack.manifest.files['text.onnx']!.sha256, 'cpu'));
    const imageFile = cache.fileFor(cache.keyParts(pack.manifest.files['image.onnx']!.sha256, 'cpu'));
    // garbage of the same size (a later mtime), and a truncated file
    fs.writeFileSync(textFile, Buffer.alloc(fs.statSync(textFile).size, 0x5a));
    fs.truncateSync(imageFile, 100);
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: dir, warmup: false });
    const got = await outputs(rt);
    const rep = Object.fromEntries(rt.sessions.map((s) => [s.graph, s]));
    await rt.close();
    expect(rep['text.onnx']).toMatchObject({ source: 'built', rejected: expect.stringMatching(/damaged/) });
    expect(rep['image.onnx']).toMatchObject({ source: 'built', rejected: expect.stringMatching(/damaged/) });
    expect(rep['fusion.onnx']!.source).toBe('cache');
    for (const k of ['text', 'image', 'fused'] as const) expect(maxAbs(got[k], reference[k])).toBeLessThanOrEqual(1e-5);
    const again = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: dir, warmup: false, imageTower: 'eager' });
    expect(sources(again)).toEqual({ 'text.onnx': 'cache', 'fusion.onnx': 'cache', 'image.onnx': 'cache' });
    await again.close();
    // a cached graph damaged without changing size or mtime is caught by the full check (`model verify`)
    const b = fs.readFileSync(textFile);
    const st = fs.statSync(textFile);
    b[b.length - 5]! ^= 0xff;
    fs.writeFileSync(textFile, b);
    fs.utimesSync(textFile, st.atime, st.mtime);
    expect(await cache.verifyAll()).toEqual({ checked: 3, removed: 1 });
    expect(fs.existsSync(textFile)).toBe(false);
  });

  it('weights live in a data file beside the graph: a damaged or missing one is detected, the original answers, the cache is rebuilt', async () => {
    const dir = path.join(tmp, 'data-file');
    const warm = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: dir, warmup: false, imageTower: 'eager' });
    await warm.close();
    const cache = new GraphCache({ dir });
    const meta = (g: string) => JSON.parse(fs.readFileSync(`${cache.fileFor(cache.keyParts(pack.manifest.files[g]!.sha256, 'cpu'))}.json`, 'utf8')) as { data?: { file: string; bytes: number } };
    const textData = path.join(dir, meta('text.onnx').data!.file);
    const imageData = path.join(dir, meta('image.onnx').data!.file);
    // most of a graph's bytes are its weights, and they are in the data file
    expect(fs.statSync(textData).size).toBeGreaterThan(fs.statSync(cache.fileFor(cache.keyParts(pack.manifest.files['text.onnx']!.sha256, 'cpu'))).size);
    fs.truncateSync(textData, 64);
    fs.rmSync(imageData);
    const rt = await MagicLensRuntime.open(pack, { providers: ['cpu'], graphCacheDir: dir, warmup: false });
    const got = await outputs(rt);
    const rep = Object.fromEntries(rt.sessions.map((s) => [s.graph, s]));
    await rt.close();
    expect(rep['text.onnx']).toMatchObject({ source: 'built', rejected: expect.stringMatching(/weights changed.*damaged/) });
    expect(rep['image.onnx']).toMatchObject({ source: 'built', rejected: expect.stringMatching(/weights file is missing/) });
    for (const k of ['text', 'image', 'fused'] as const) expect(maxAbs(got[k], reference[k])).toBeLessThanOrEqual(1e-5);
    // the superseded data files went with their graphs: one data file per cached graph
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.data'))).toHaveLength(3);
    // a flipped byte in a data file (size and mtime kept) is caught by the full check
    const dataFile = path.join(dir, meta('fusion.onnx').data!.file);
    const b = fs.readFileSync(dataFile);
    const st = fs.statSync(dataFile);
    b[Math.floor(b.length / 2)]! ^= 0xff;
    fs.writeFileSync(dataFile, b);
    fs.utimesSync(dataFile, st.atime, st.mtime);
    expect(await cache.verifyAll()).toEqual({ checked: 3, removed: 1 });
    expect(fs.existsSync(dataFile)).toBe(false);
  });

  it('a graph cached in the older form (weights inline, no format) is replaced and its file removed', async () => {
    const dir = path.join(tmp, 'old-form');
    const cache = new GraphCache({ dir, cpu: 'cpu-a', ortVersion: '1.0.0' });
    const sha = pack.manifest.files['fusion.onnx']!.sha256;
    const parts = cache.keyParts(sha, 'cpu');
    fs.mkdirSync(dir, { recursive: true });
    const old = path.join(dir, 'oldkey0000.onnx');
    fs.copyFileSync(pack.path('fusion.onnx'), old);
    const st = fs.statSync(old);
    fs.writeFileSync(`${old}.json`, JSON.stringify({ ...parts, bytes: st.size, mtimeMs: st.mtimeMs, sha256: 'x' }));
    expect((await cache.open(pack.path('fusion.onnx'), sha, { executionProviders: ['cpu'] })).source).toBe('built');
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(`${old}.json`)).toBe(false);
    expect(fs.existsSync(cache.fileFor(parts))).toBe(true);
  });
});
