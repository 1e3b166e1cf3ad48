// What decoding 12-MP JPEGs costs the image tower when both share the cores, against the fair share.
// The tower runs alone in a worker thread (2 intra-op threads, batch 1, like the bulk lane) for a fixed
// time, once undisturbed and once while this thread decodes N photos with the indexer's own functions
// (read + hash + ingestImage: one shrink-on-load decode → model input + thumbnail), at decode concurrency
// 1 and 4 and with the worker at nice 10 (as the bulk lane runs on Linux) or 0. Fair share: the decodes'
// CPU time spread over the tower's two cores costs it CPU/2 of wall time; "× fair" above 1 is time lost
// to ORT's threads waiting at an operator's end for a partner the decode preempted.
//   npx tsx bench/measure/decode-contention.ts [--pack DIR] [--n 48] [--seconds 12]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { hashBuffer } from '../../app/library/hash.js';
import { ingestImage } from '../../app/media/ingest.js';
import { specFromManifest } from '../../app/media/preprocess.js';
import { loadPack } from '../../app/model/pack.js';
import { baseShapePack } from '../lib/base-pack.js';
import { makeBigJpegs } from '../lib/big-jpegs.js';
import { parseArgs } from '../lib/report.js';

const args = parseArgs(process.argv.slice(2));
const n = Number(args.get('n') ?? 48);
const seconds = Number(args.get('seconds') ?? 12);

// The tower loop, as a plain-JS worker (eval) so no loader is needed inside it
const LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');
(async () => {
  if (workerData.nice) require('node:os').setPriority(0, 10);
  const s = await ort.InferenceSession.create(workerData.file, { graphOptimizationLevel: 'all', interOpNumThreads: 1, intraOpNumThreads: 2 });
  const S = workerData.size;
  const x = new Float32Array(S * S * 3).map((_, i) => Math.sin(i * 0.37));
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x, [1, S, S, 3]) };
  await s.run(feeds);
  let stop = false;
  parentPort.on('message', () => { stop = true; });
  parentPort.postMessage('ready');
  let n = 0;
  const t0 = performance.now();
  while (!stop) { await s.run(feeds); n++; }
  parentPort.postMessage({ n, ms: performance.now() - t0 });
})();
`;

async function towerRate(file: string, size: number, nice: boolean, during: (() => Promise<void>) | null): Promise<number> {
  const w = new Worker(LOOP, { eval: true, workerData: { file, size, nice } });
  await new Promise((r) => w.once('message', r));
  const t0 = performance.now();
  if (during) await during();
  const rest = seconds * 1000 - (performance.now() - t0);
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  const done = new Promise<{ n: number; ms: number }>((r) => w.on('message', (m: unknown) => { if (typeof m === 'object') r(m as { n: number; ms: number }); }));
  w.postMessage('stop');
  const r = await done;
  await w.terminate();
  return (r.n * 1000) / r.ms;
}

async function main(): Promise<void> {
  const packDir = typeof args.get('pack') === 'string' ? path.resolve(args.get('pack') as string) : await baseShapePack();
  const pack = await loadPack(packDir, { verifyHashes: false });
  const spec = specFromManifest(pack.manifest);
  const dir = path.join(os.tmpdir(), 'magiclens-bench-big-jpegs');
  await makeBigJpegs(dir, n);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, n).map((f) => path.join(dir, f));
  const one = async (f: string) => ingestImage(hashed(await fs.promises.readFile(f)), spec, { thumb: true });
  const decodeAll = async (conc: number) => {
    let i = 0;
    await Promise.all(Array.from({ length: conc }, async () => { while (i < files.length) await one(files[i++]!); }));
  };
  await one(files[0]!);
  const c0 = process.cpuUsage();
  await decodeAll(1);
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  process.stdout.write(`decode side alone: ${files.length} photos, ${(cpuMs / files.length).toFixed(1)} ms of CPU each\n`);
  process.stdout.write('| worker nice | decode concurrency | tower alone img/s | tower with decodes img/s | tower time lost ms | fair share ms | × fair |\n|---|---|---|---|---|---|---|\n');
  for (const nice of [true, false]) {
    for (const conc of [1, 4]) {
      // undisturbed right before and after (the machine's speed drifts by 10–20 % over minutes)
      const before = await towerRate(pack.path('image.onnx'), spec.size, nice, null);
      const busy = await towerRate(pack.path('image.onnx'), spec.size, nice, () => decodeAll(conc));
      const alone = (before + await towerRate(pack.path('image.onnx'), spec.size, nice, null)) / 2;
      const lost = (1 - busy / alone) * seconds * 1000;
      process.stdout.write(`| ${nice ? 10 : 0} | ${conc} | ${alone.toFixed(2)} | ${busy.toFixed(2)} | ${lost.toFixed(0)} | ${(cpuMs / 2).toFixed(0)} | ${(lost / (cpuMs / 2)).toFixed(2)} |\n`);
    }
  }
}

function hashed(buf: Buffer): Buffer {
  hashBuffer(buf); // the indexer hashes what it read before decoding it
  return buf;
}

main().catch((e: Error) => { process.stderr.write(`${e.stack ?? e.message}\n`); process.exit(1); });
