// The int8 fidelity self-check, run on the user's machine with the user's photos: up to 64 photos are
// embedded by the float32 image tower and by its int8 twin; int8 is turned on only when the embeddings
// agree (mean cosine ≥ 0.995) AND searches return the same photos (mean top-10 overlap ≥ 0.95 over a
// few similar-photo and composed queries). Real CLIP weights carry outlier channels that quantisation
// can hurt, and no real weights are available to the developers' machines, so the decision is made
// where the real weights and the real photos are. The verdict is cached per int8 graph.
import fs from 'node:fs';
import path from 'node:path';
import { preprocessImage, specFromManifest } from '../media/preprocess.js';
import { int8Dir, type Int8Graph } from './int8.js';
import type { ModelPack } from './pack.js';
import { MagicLensRuntime } from './runtime.js';

export const SELF_CHECK = { photos: 64, minCosine: 0.995, minOverlap: 0.95, topK: 10 } as const;
const COMPOSE = ['at night', 'in black and white', 'as a drawing'];

export interface SelfCheckResult {
  modelId: string;
  int8Sha256: string;
  photos: number;
  queries: number;
  cosineMean: number;
  cosineMin: number;
  overlapMean: number;
  fp32ImagesPerSec: number;
  int8ImagesPerSec: number;
  passed: boolean;
  /** one line for the Models view */
  reason: string;
  checkedAt: string;
}

function checkFile(dataDir: string, int8: Int8Graph): string {
  return path.join(int8Dir(dataDir), `check-${int8.sha256.slice(0, 24)}.json`);
}

export function readSelfCheck(dataDir: string, int8: Int8Graph): SelfCheckResult | null {
  try {
    return JSON.parse(fs.readFileSync(checkFile(dataDir, int8), 'utf8')) as SelfCheckResult;
  } catch {
    return null;
  }
}

function unit(v: Float32Array, i: number, D: number): Float32Array {
  const x = v.slice(i * D, (i + 1) * D);
  let n = 0;
  for (const a of x) n += a * a;
  n = Math.sqrt(n) || 1;
  return x.map((a) => a / n);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function topK(q: Float32Array, rows: Float32Array[], k: number): Set<number> {
  return new Set(rows.map((r, i) => [dot(q, r), i] as const).sort((a, b) => b[0] - a[0]).slice(0, k).map((x) => x[1]));
}

async function decodeSome(files: string[], pack: ModelPack): Promise<{ pixels: Float32Array; n: number }> {
  const spec = specFromManifest(pack.manifest);
  const per = spec.size * spec.size * 3;
  const out: Float32Array[] = [];
  for (const f of files) {
    if (out.length >= SELF_CHECK.photos) break;
    try {
      out.push(await preprocessImage(f, spec));
    } catch {
      /* an unreadable photo is simply not part of the sample */
    }
  }
  const pixels = new Float32Array(out.length * per);
  out.forEach((p, i) => pixels.set(p, i * per));
  return { pixels, n: out.length };
}

async function timedEmbed(rt: MagicLensRuntime, pixels: Float32Array, n: number): Promise<{ emb: Float32Array; ips: number }> {
  const t = performance.now();
  const emb = await rt.embedImages(pixels, n);
  return { emb, ips: (n * 1000) / (performance.now() - t) };
}

/** Top-10 overlap between searching the fp32 and the int8 vectors, over similar-photo and composed queries. */
async function overlaps(rt: MagicLensRuntime, f32: Float32Array, i8: Float32Array, n: number): Promise<number[]> {
  const D = rt.dim;
  const tF = await rt.targetEmbeddings(f32, n);
  const tQ = await rt.targetEmbeddings(i8, n);
  const rowsF = Array.from({ length: n }, (_, i) => unit(tF, i, D));
  const rowsQ = Array.from({ length: n }, (_, i) => unit(tQ, i, D));
  const k = Math.min(SELF_CHECK.topK, n);
  const out: number[] = [];
  const queries: Float32Array[] = [];
  for (let i = 0; i < Math.min(4, n); i++) queries.push(rowsF[Math.floor((i * n) / 4)]!);
  for (const [j, words] of COMPOSE.entries()) {
    const src = Math.floor(((j + 0.5) * n) / COMPOSE.length);
    queries.push(unit(await rt.fuse(f32.slice(src * D, (src + 1) * D), await rt.embedText(words), 1), 0, D));
  }
  for (const q of queries) {
    const a = topK(q, rowsF, k), b = topK(q, rowsQ, k);
    out.push([...a].filter((x) => b.has(x)).length / k);
  }
  return out;
}

/** Embeds the photos with both towers and decides; the verdict is written next to the int8 graph. */
export async function runSelfCheck(pack: ModelPack, int8: Int8Graph, files: string[], dataDir: string, opts: { threads?: number } = {}): Promise<SelfCheckResult> {
  const { pixels, n } = await decodeSome(files, pack);
  if (n < 2) throw new Error(`int8 self-check: needs at least 2 readable photos, found ${n}`);
  const base = { providers: ['cpu' as const], threads: opts.threads ?? 2, imageTower: 'eager' as const, warmup: false };
  const rtF = await MagicLensRuntime.open(pack, base);
  const rtQ = await MagicLensRuntime.open(pack, { ...base, imageGraph: { file: int8.file, sha256: int8.sha256, precision: 'int8' } });
  try {
    const f = await timedEmbed(rtF, pixels, n);
    const q = await timedEmbed(rtQ, pixels, n);
    const D = rtF.dim;
    const cos = Array.from({ length: n }, (_, i) => dot(unit(f.emb, i, D), unit(q.emb, i, D)));
    const ov = await overlaps(rtF, f.emb, q.emb, n);
    const cosineMean = cos.reduce((a, b) => a + b, 0) / n;
    const overlapMean = ov.reduce((a, b) => a + b, 0) / ov.length;
    const passed = cosineMean >= SELF_CHECK.minCosine && overlapMean >= SELF_CHECK.minOverlap;
    const figures = `cosine ${cosineMean.toFixed(4)}, top-10 overlap ${overlapMean.toFixed(2)} on ${n} photos`;
    const r: SelfCheckResult = {
      modelId: pack.manifest.id, int8Sha256: int8.sha256, photos: n, queries: ov.length,
      cosineMean, cosineMin: Math.min(...cos), overlapMean, fp32ImagesPerSec: f.ips, int8ImagesPerSec: q.ips, passed,
      reason: passed
        ? `int8 image tower on: ${figures} (bounds ${SELF_CHECK.minCosine} / ${SELF_CHECK.minOverlap})`
        : `float32 kept: int8 gave ${figures}, below the bounds (cosine ≥ ${SELF_CHECK.minCosine}, overlap ≥ ${SELF_CHECK.minOverlap})`,
      checkedAt: new Date().toISOString(),
    };
    fs.mkdirSync(int8Dir(dataDir), { recursive: true });
    fs.writeFileSync(checkFile(dataDir, int8), JSON.stringify(r, null, 1) + '\n');
    return r;
  } finally {
    await rtF.close();
    await rtQ.close();
  }
}
