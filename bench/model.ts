// Model-side figures for a pack (normally the base-shape random pack: real FLOPs): raw image-tower throughput
// (the indexing ceiling) by batch and thread count, text-tower latency by token count (real length vs padded
// to 77), fusion-head latency.
import ort from 'onnxruntime-node';
import { loadPack } from '../app/model/pack.js';
import { ClipTokenizer } from '../app/model/tokenizer.js';
import { nowMs, percentile, printTable } from './lib/report.js';

export interface TowerRow { provider: string; precision?: 'fp32' | 'fp16'; threads: number; batch: number; runs: number; imagesPerSec: number; bestImagesPerSec: number; msPerBatch: number }
export interface TextRow { tokens: number; realMsP50: number; paddedMsP50: number; text: string }

export const GPU_NAMES = { cuda: 'CUDA', webgpu: 'WebGPU' } as const;

export async function probeProvider(provider: 'cuda' | 'webgpu' | 'cpu', packDir: string): Promise<{ ok: boolean; message: string }> {
  if (provider === 'cpu') return { ok: true, message: 'cpu' };
  const name = GPU_NAMES[provider];
  const before = ort.env.logLevel;
  try {
    const pack = await loadPack(packDir, { verifyHashes: false });
    // ORT reads its log level when its environment is first created: call this before any other session
    ort.env.logLevel = 'fatal';
    // severity 4 (fatal only): the missing-provider error is the expected answer here, not noise for stderr
    const s = await ort.InferenceSession.create(pack.path('fusion.onnx'), { executionProviders: [provider], logSeverityLevel: 4 });
    await s.release();
    return { ok: true, message: `${name} execution provider created` };
  } catch (e) {
    // ORT's message ends with the reason (WebGPU: "… Failed to get a WebGPU adapter: No supported adapters")
    const m = (e as Error).message.split('\n')[0] ?? '';
    return { ok: false, message: `${name}: not available on this machine (${m.length > 140 ? `…${m.slice(-140)}` : m})` };
  } finally {
    ort.env.logLevel = before;
  }
}

/** Images/s of image.onnx alone on random pixels (no decode, no preprocessing): the ceiling for indexing. */
export async function imageTowerThroughput(packDir: string, opts: { batches: number[]; threads: number[]; minSeconds: number; provider?: 'cuda' | 'webgpu' | 'cpu'; precision?: 'fp32' | 'fp16'; log?: (s: string) => void }): Promise<TowerRow[]> {
  const pack = await loadPack(packDir, { verifyHashes: false });
  const S = pack.manifest.image.size;
  const rows: TowerRow[] = [];
  const provider = opts.provider ?? 'cpu';
  const precision = opts.precision ?? 'fp32';
  const graph = precision === 'fp16' ? pack.manifest.variants?.fp16?.['image.onnx'] : 'image.onnx';
  if (!graph) throw new Error(`pack ${pack.manifest.id} has no float16 image tower (install or convert it with --fp16)`);
  for (const threads of opts.threads) {
    const session = await ort.InferenceSession.create(pack.path(graph), { executionProviders: [provider], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1 });
    for (const b of opts.batches) {
      const px = new Float32Array(b * S * S * 3);
      for (let i = 0; i < px.length; i++) px[i] = Math.sin(i * 0.37) * 1.5;
      const feeds = { pixels: new ort.Tensor('float32', px, [b, S, S, 3]) };
      await session.run(feeds); // warm-up: allocations, kernel selection
      const times: number[] = [];
      const start = nowMs();
      do {
        const t = nowMs();
        await session.run(feeds);
        times.push(nowMs() - t);
      } while ((nowMs() - start < opts.minSeconds * 1000 || times.length < (b >= 32 ? 2 : 3)) && times.length < 50);
      const ms = percentile(times, 50);
      rows.push({ provider, precision, threads, batch: b, runs: times.length, imagesPerSec: (b * 1000) / ms, bestImagesPerSec: (b * 1000) / Math.min(...times), msPerBatch: ms });
      opts.log?.(`[tower] ${provider} threads=${threads} batch=${b}: ${((b * 1000) / ms).toFixed(2)} img/s`);
    }
    await session.release();
  }
  return rows;
}

/** One query's text tower at its real token length vs the same text padded to 77 (what a naive port does). */
export async function textTowerLatency(packDir: string, opts: { threads: number; reps: number }): Promise<TextRow[]> {
  const pack = await loadPack(packDir, { verifyHashes: false });
  const tok = ClipTokenizer.fromFile(pack.path(pack.manifest.tokenizer.file));
  const session = await ort.InferenceSession.create(pack.path('text.onnx'), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: opts.threads, interOpNumThreads: 1 });
  const texts = [
    '',
    'red',
    'the same shirt in blue',
    'the same dress but in red, with long sleeves and a belt',
    'find a photo of the same building at night, seen from across the river, with its lights reflected in the water and a boat passing by',
    'outside view of the same house in winter with snow on the roof and the garden, children playing in front of it, a red car parked on the left side of the street, trees without leaves and a grey sky above',
  ];
  const rows: TextRow[] = [];
  for (const text of texts) {
    const ids = tok.encode(text);
    const real = new BigInt64Array(ids.map((x) => BigInt(x)));
    const padded = tok.encodePadded(text);
    const run = async (a: BigInt64Array) => session.run({ ids: new ort.Tensor('int64', a, [1, a.length]) });
    await run(real);
    await run(padded);
    const tr: number[] = [];
    const tp: number[] = [];
    for (let i = 0; i < opts.reps; i++) {
      let t = nowMs(); await run(real); tr.push(nowMs() - t);
      t = nowMs(); await run(padded); tp.push(nowMs() - t);
    }
    rows.push({ tokens: ids.length, realMsP50: percentile(tr, 50), paddedMsP50: percentile(tp, 50), text });
  }
  await session.release();
  return rows;
}

export async function fusionLatency(packDir: string, opts: { threads: number; reps: number }): Promise<{ batch: number; msP50: number; pairsPerSec: number }[]> {
  const pack = await loadPack(packDir, { verifyHashes: false });
  const D = pack.manifest.architecture.embedDim;
  const session = await ort.InferenceSession.create(pack.path('fusion.onnx'), { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: opts.threads, interOpNumThreads: 1 });
  const out = [];
  for (const b of [1, 64]) {
    const a = new Float32Array(b * D).map((_, i) => Math.sin(i));
    const feeds = { image_embed: new ort.Tensor('float32', a, [b, D]), text_embed: new ort.Tensor('float32', a.slice(), [b, D]) };
    await session.run(feeds);
    const t: number[] = [];
    for (let i = 0; i < opts.reps; i++) { const s = nowMs(); await session.run(feeds); t.push(nowMs() - s); }
    const ms = percentile(t, 50);
    out.push({ batch: b, msP50: ms, pairsPerSec: (b * 1000) / ms });
  }
  await session.release();
  return out;
}

export function printTower(rows: TowerRow[]): string {
  return printTable('Image tower alone (random pixels, no decode): the indexing ceiling',
    ['provider', 'precision', 'threads', 'batch', 'runs', 'images/s (p50 run)', 'images/s (best run)', 'ms/batch (p50)'],
    rows.map((r) => [r.provider, r.precision ?? 'fp32', r.threads, r.batch, r.runs, r.imagesPerSec, r.bestImagesPerSec, r.msPerBatch]));
}

export function printText(rows: TextRow[]): string {
  return printTable('Text tower, one query: real token length vs padded to 77',
    ['tokens (with SOT/EOT)', 'real length p50 ms', 'padded 77 p50 ms', 'speed-up', 'text'],
    rows.map((r) => [r.tokens, r.realMsP50, r.paddedMsP50, `${(r.paddedMsP50 / r.realMsP50).toFixed(1)}×`, r.text.length > 40 ? `${r.text.slice(0, 37)}…` : JSON.stringify(r.text)]));
}
