// How fast can a first indexing fill the screen? Per-photo rates of each step a photo goes through,
// on the fashion dataset (224 px JPEGs) and on generated 12 MP JPEGs, measured in one run so the
// ratios hold on a loaded machine:
//   read+hash   the scan's work (bytes read once, SHA-256): every photo gets a row, listed in the grid
//   header      EXIF/size/date from the header only (inspectImage: no pixel decode)
//   thumb       the grid's on-demand thumbnail (app/service/image-files.ts: openImage + writeThumb)
//   ingest      the index pass's one decode → model input + thumbnail (app/media/ingest.ts)
//   embed       image tower + fusion head, batch 8 (base-shape pack: MagicLens-B's graphs, random weights)
// The 12 MP JPEGs are made in a temp folder at run time and removed after; nothing is committed.
//   npx tsx bench/measure/first-screen.ts [--n 300] [--big 8] [--threads 2] [--pack DIR]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { sharedDir } from '../../app/paths.js';
import { inspectImage, openImage } from '../../app/media/decode.js';
import { ingestImage } from '../../app/media/ingest.js';
import { specFromManifest } from '../../app/media/preprocess.js';
import { writeThumb } from '../../app/media/thumbs.js';
import { loadPack } from '../../app/model/pack.js';
import { MagicLensRuntime } from '../../app/model/runtime.js';
import { baseShapePack } from '../lib/base-pack.js';
import { parseArgs, printTable } from '../lib/report.js';

const args = parseArgs(process.argv.slice(2));
const num = (k: string, d: number) => (typeof args.get(k) === 'string' ? Number(args.get(k)) : d);
const N = num('n', 300);
const BIG = num('big', 8);
const THREADS = num('threads', 2);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-first-screen-'));

/** A 4000×3000 photo-like JPEG (smooth gradients + fine noise, ~3–5 MB like a phone photo) with an EXIF date. */
async function bigJpeg(file: string, seed: number): Promise<void> {
  const w = 4000;
  const h = 3000;
  const small = Buffer.alloc(64 * 48 * 3);
  for (let i = 0; i < small.length; i++) small[i] = (Math.sin(i * 0.013 + seed) * 0.5 + 0.5) * 255;
  const base = await sharp(small, { raw: { width: 64, height: 48, channels: 3 } }).resize(w, h, { kernel: 'cubic' }).raw().toBuffer();
  const noise = crypto.randomBytes(w * h * 3);
  for (let i = 0; i < base.length; i++) base[i] = Math.min(255, Math.max(0, base[i]! + (noise[i]! % 24) - 12));
  await sharp(base, { raw: { width: w, height: h, channels: 3 } }).withExif({ IFD0: { DateTime: '2024:05:06 07:08:09' } }).jpeg({ quality: 92 }).toFile(file);
}

async function rate(files: string[], step: (buf: Buffer, i: number) => Promise<unknown>): Promise<number> {
  const bufs = files.map((f) => fs.readFileSync(f)); // the file cache is warm for every step alike
  const t0 = performance.now();
  for (let i = 0; i < bufs.length; i++) await step(bufs[i]!, i);
  return bufs.length / ((performance.now() - t0) / 1000);
}

async function readHashRate(files: string[]): Promise<number> {
  const t0 = performance.now();
  for (const f of files) crypto.createHash('sha256').update(await fs.promises.readFile(f)).digest('hex');
  return files.length / ((performance.now() - t0) / 1000);
}

async function embedRate(rt: MagicLensRuntime, inputs: Float32Array[]): Promise<number> {
  const per = inputs[0]!.length;
  const t0 = performance.now();
  for (let i = 0; i < inputs.length; i += 8) {
    const b = inputs.slice(i, i + 8);
    const px = new Float32Array(b.length * per);
    b.forEach((x, j) => px.set(x, j * per));
    await rt.targetEmbeddings(await rt.embedImages(px, b.length), b.length);
  }
  return inputs.length / ((performance.now() - t0) / 1000);
}

async function measure(label: string, files: string[], rt: MagicLensRuntime, spec: ReturnType<typeof specFromManifest>, embedN: number): Promise<(string | number)[]> {
  const thumbs = path.join(tmp, `thumbs-${label}`);
  const rh = await readHashRate(files);
  const header = await rate(files, (b) => inspectImage(b));
  const thumb = await rate(files, async (b, i) => {
    const img = await openImage(b);
    await writeThumb(thumbs, crypto.createHash('sha256').update(`${label}${i}`).digest('hex'), img.source, img.autoOrient);
  });
  const inputs: Float32Array[] = [];
  const ingest = await rate(files, async (b) => inputs.push((await ingestImage(b, spec, { thumb: true })).pixels));
  const embed = await embedRate(rt, inputs.slice(0, embedN));
  process.stderr.write(`${label}: done\n`);
  const f = (x: number) => x.toFixed(1);
  return [label, files.length, f(rh), f(header), f(thumb), f(ingest), f(embed), f(thumb / embed), f(header / embed)];
}

async function main(): Promise<void> {
  const packDir = typeof args.get('pack') === 'string' ? (args.get('pack') as string) : await baseShapePack();
  const pack = await loadPack(packDir, { verifyHashes: false });
  const spec = specFromManifest(pack.manifest);
  const rt = await MagicLensRuntime.open(pack, { threads: THREADS, providers: ['cpu'] });
  // the image tower opens on first use (seconds for base): open and warm it outside the timings
  const S = pack.manifest.image.size;
  await rt.targetEmbeddings(await rt.embedImages(new Float32Array(8 * S * S * 3), 8), 8);
  const fashionDir = path.join(sharedDir(), 'datasets', 'fashion', 'images');
  const fashion = fs.readdirSync(fashionDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, N).map((f) => path.join(fashionDir, f));
  const big: string[] = [];
  for (let i = 0; i < BIG; i++) {
    const f = path.join(tmp, `big-${i}.jpg`);
    await bigJpeg(f, i);
    big.push(f);
  }
  const mb = big.reduce((s, f) => s + fs.statSync(f).size, 0) / big.length / 1e6;
  try {
    const rows = [await measure('fashion 224 px', fashion, rt, spec, Math.min(48, fashion.length)), await measure(`12 MP JPEG (${mb.toFixed(1)} MB)`, big, rt, spec, big.length)];
    printTable(
      `photos/s, one process, ${THREADS} ORT threads, pack ${pack.manifest.id} (${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})`,
      ['set', 'photos', 'read+hash', 'header (EXIF)', 'thumb (on demand)', 'ingest (decode+input+thumb)', 'embed (batch 8)', 'thumb/embed', 'header/embed'],
      rows,
    );
  } finally {
    await rt.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
