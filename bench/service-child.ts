// Service-level measurements, each run in a fresh child process (so peak RSS and cold start are the service's
// own, not the benchmark driver's) by bench/perf.ts:
//   index     --packs-dir P --pack-id ID --folder F [--threads N] [--data DIR]
//             full indexing through the real Service (scan → decode → image tower → fusion → store);
//             inference time is measured inside that run (the bulk lane's runtime methods are wrapped)
//   split     --pack-dir D --folder F --n N: the per-image stage costs of the same functions the indexer
//             calls (read+hash, inspectImage, ingestImage = one decode → input + thumbnail, saveThumb, store), one image at a time
//   rescan    --folder F: scan a folder (no model), then time a rescan of the unchanged files
//   coldstart --packs-dir P --pack-id ID --data DIR --photo-id N: process start → service ready → first composed
//             query → first text query → second query; bulk lane open and reopen
// Prints one JSON line last.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createService } from '../app/service.js';
import { hashBuffer } from '../app/library/hash.js';
import { inspectImage } from '../app/media/decode.js';
import { ingestImage } from '../app/media/ingest.js';
import { specFromManifest } from '../app/media/preprocess.js';
import { saveThumb } from '../app/media/thumbs.js';
import { openBulkLane } from '../app/index/bulk-lane.js';
import { graphCacheDir } from '../app/model/graph-cache.js';
import { loadPack } from '../app/model/pack.js';
import { openDatabase } from '../app/store/db.js';
import { VectorStore } from '../app/store/vectors.js';
import { parseArgs } from './lib/report.js';

const a = parseArgs(process.argv.slice(3));
const str = (k: string): string => {
  const v = a.get(k);
  if (typeof v !== 'string') throw new Error(`service-child: --${k} is required`);
  return v;
};
const now = () => performance.now();

function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  return { stop() { clearInterval(t); return Math.max(peak, process.memoryUsage().rss) / 2 ** 20; } };
}

async function index(): Promise<unknown> {
  const dataDir = typeof a.get('data') === 'string' ? (a.get('data') as string) : fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-index-'));
  const threads = Number(a.get('threads') ?? 2);
  const sampler = rssSampler();
  const svc = await createService({ dataDir, bundledPacksDir: str('packs-dir'), modelId: str('pack-id'), watch: false, threads });
  // The indexing ratio compares with the float32 tower's ceiling: float32 unless asked (no self-check run)
  await svc.handlers['settings.set']({ imagePrecision: a.get('precision') === 'auto' || a.get('precision') === 'int8' ? (a.get('precision') as 'auto' | 'int8') : 'fp32' });
  const lane = await svc.bulkLane();
  if (!lane) throw new Error('no bulk lane (is the pack installed?)');
  // The bulk lane runs image tower + fusion head in a worker thread; its embed() is timed from here
  let inferMs = 0;
  let images = 0;
  const fuseMs = Number.NaN;
  const emb = lane.embedder;
  const embed = emb.embed.bind(emb);
  let t0 = now();
  // Each embed call's start and end, relative to t0: what the lane waited for between batches
  const calls: [number, number][] = [];
  emb.embed = async (px, n) => { const t = now(); try { return await embed(px, n); } finally { inferMs += now() - t; images += n; calls.push([t - t0, now() - t0]); } };
  const workerThread = emb.fallbackReason === null;
  let txMs = 0;
  const tx = svc.db.transaction.bind(svc.db);
  (svc.db as unknown as { transaction: typeof tx }).transaction = ((fn: (...args: unknown[]) => unknown) => {
    const wrapped = tx(fn);
    return ((...args: unknown[]) => { const t = now(); try { return wrapped(...args); } finally { txMs += now() - t; } }) as unknown as ReturnType<typeof tx>;
  }) as typeof tx;
  t0 = now();
  const cpu0 = process.cpuUsage();
  await svc.handlers['folders.add']({ path: str('folder'), exclude: [] });
  await svc.whenIdle();
  const wall = now() - t0;
  // every thread of the process (main, libuv pool, the lane's worker and ORT's pool): with the wall
  // time and the core count it says whether the cores sat idle or did extra work
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const status = await svc.handlers['status.get']({});
  await svc.close();
  const peakRssMiB = sampler.stop();
  if (!a.has('data')) fs.rmSync(dataDir, { recursive: true, force: true });
  // Where the wall time went: before the first batch reached the lane (scan + first decode), between
  // batches (the lane idle, waiting for decode or the commit), after the last one (commit, idle)
  const timeline = calls.length === 0 ? null : {
    firstEmbedMs: calls[0]![0],
    betweenMs: calls.slice(1).reduce((s, c, i) => s + Math.max(0, c[0] - calls[i]![1]), 0),
    afterLastMs: wall - calls[calls.length - 1]![1],
    batches: calls.length,
    cpuMs,
    cores: os.availableParallelism(),
  };
  return { wallMs: wall, images, inferMs, fuseMs, workerThread, txMs, peakRssMiB, maxRssMiB: process.resourceUsage().maxRSS / 1024, timeline, status };
}

async function split(): Promise<unknown> {
  const pack = await loadPack(str('pack-dir'), { verifyHashes: false });
  const spec = specFromManifest(pack.manifest);
  const files = fs.readdirSync(str('folder')).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().slice(0, Number(a.get('n') ?? 20)).map((f) => path.join(str('folder'), f));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-split-'));
  const t = { readHash: 0, open: 0, thumb: 0, preprocess: 0, store: 0 };
  const db = openDatabase(path.join(dataDir, 'x.db'));
  const vs = new VectorStore(db);
  const key = vs.ensureModel('split-bench', pack.manifest.architecture.embedDim);
  const D = pack.manifest.architecture.embedDim;
  let id = 1;
  // untimed: loading sharp and libvips' first operations would otherwise land on the first photo
  if (files[0]) await ingestImage(await fs.promises.readFile(files[0]), spec, { thumb: true });
  for (const f of files) {
    let s = now();
    const buf = fs.readFileSync(f);
    const hash = hashBuffer(buf);
    t.readHash += now() - s;
    s = now();
    await inspectImage(buf);
    t.open += now() - s;
    // what the indexer does: one decode (shrink-on-load for large JPEGs) → model input + thumbnail
    s = now();
    const img = await ingestImage(buf, spec, { thumb: true });
    t.preprocess += now() - s;
    s = now();
    await saveThumb(dataDir, hash, img.thumb!);
    t.thumb += now() - s;
    s = now();
    const v = new Float32Array(D).fill(0.01);
    const pid = id++;
    db.transaction(() => { vs.put(key, 'clip', pid, v); vs.put(key, 'target', pid, v); })();
    t.store += now() - s;
  }
  db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const n = files.length;
  return { n, perImageMs: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v / n])) };
}

async function rescan(): Promise<unknown> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-rescan-'));
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-nopacks-'));
  const sampler = rssSampler();
  const svc = await createService({ dataDir, bundledPacksDir: empty, watch: false });
  let t = now();
  await svc.handlers['folders.add']({ path: str('folder'), exclude: [] });
  await svc.whenIdle();
  const firstMs = now() - t;
  const photos = (svc.db.prepare('select count(*) as n from photos').get() as { n: number }).n;
  t = now();
  await svc.scan();
  await svc.whenIdle();
  const rescanMs = now() - t;
  t = now();
  await svc.scan();
  await svc.whenIdle();
  const rescan2Ms = now() - t;
  await svc.close();
  const peak = sampler.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(empty, { recursive: true, force: true });
  return { photos, firstScanMs: firstMs, rescanMs, rescan2Ms, peakRssMiB: peak };
}

const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

/**
 * The bulk lane as the service runs it (e_text("") handed over from the interactive lane): opened, one
 * photo embedded, released when idle (the image tower freed, the worker kept) and reopened; then the
 * whole lane closed and opened again, which is what an idle release cost before it kept the worker.
 */
async function bulkStages(dataDir: string, emptyText: Float32Array | undefined): Promise<Record<string, number>> {
  const pack = await loadPack(path.join(dataDir, 'models', str('pack-id')), { verifyHashes: false });
  const opts = { threads: 2, providers: ['cpu' as const], graphCacheDir: graphCacheDir(dataDir), ...(emptyText ? { emptyText } : {}) };
  const S = pack.manifest.image.size;
  const rssBefore = rssMiB();
  const t0 = now();
  const bulk = await openBulkLane(pack, opts);
  const tBulk = now();
  await bulk.embed(new Float32Array(S * S * 3).fill(0.1), 1);
  const rssOpen = rssMiB();
  await bulk.idle();
  const rssIdle = rssMiB();
  const t1 = now();
  await bulk.wake();
  const tReopen = now();
  await bulk.close();
  const rssClosed = rssMiB();
  const t2 = now();
  const again = await openBulkLane(pack, opts);
  const tFull = now();
  await again.close();
  return { bulkOpenMs: tBulk - t0, bulkReopenMs: tReopen - t1, bulkFullReopenMs: tFull - t2, bulkRssOpenMiB: rssOpen - rssBefore, bulkRssIdleMiB: rssIdle - rssBefore, bulkRssClosedMiB: rssClosed - rssBefore };
}

/**
 * Process start → service ready → first composed query on a library photo → first text query → second
 * query; then the bulk lane's stages (bulkStages). The sessions report says whether each graph came from
 * the optimised-graph cache.
 */
async function coldstart(): Promise<unknown> {
  const tProcess = now(); // ms since this process started (performance.timeOrigin), imports included
  const dataDir = str('data');
  const svc = await createService({ dataDir, bundledPacksDir: str('packs-dir'), modelId: str('pack-id'), watch: false });
  const tReady = now();
  const q = (instruction: string) => svc.handlers['search.compose']({ photo: { id: Number(str('photo-id')) }, instruction, includeQueryPhoto: false, offset: 0, limit: 20 } as never);
  const r = await q('the same but in red');
  const tFirst = now();
  await svc.handlers['search.text']({ text: 'a photo of a red dress', offset: 0, limit: 20 } as never);
  const tText = now();
  const r2 = await q('the same but in blue');
  const tSecond = now();
  const lane = await svc.lane('interactive');
  const sessions = lane?.rt.sessions.map((x) => `${x.graph}:${x.source}:${x.ms.toFixed(0)}`) ?? [];
  const emptyText = lane ? await lane.rt.emptyTextEmbedding() : undefined;
  await svc.close();
  return {
    importsMs: tProcess, serviceReadyMs: tReady, firstQueryMs: tFirst, firstQueryOnlyMs: tFirst - tReady, firstTextQueryMs: tText - tFirst,
    secondQueryMs: tSecond - tText, sessions, ...(await bulkStages(dataDir, emptyText)),
    hits: [(r as { hits: unknown[] }).hits.length, (r2 as { hits: unknown[] }).hits.length],
  };
}

const cmd = process.argv[2];
const run = { index, split, rescan, coldstart }[cmd as 'index'];
if (!run) {
  process.stderr.write('usage: service-child.ts index|split|rescan|coldstart …\n');
  process.exit(2);
}
run().then((r) => { process.stdout.write(`${JSON.stringify(r)}\n`); }, (e: Error) => { process.stderr.write(`service-child ${cmd}: ${e.stack ?? e.message}\n`); process.exitCode = 1; });
