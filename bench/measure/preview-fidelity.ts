// How far the index pass's reduced decodes move the model input and the image embedding from the exact
// official pipeline (full decode, per-image maximum over every pixel), per pack: the photo's own 1/8 DCT
// decode, a 1600×1200 MPF preview and a 512×384 EXIF preview (both made from the same pixels at quality
// 80). Photos: 12 photo-like 12-MP JPEGs (fashion photos upscaled with sensor-like noise), made in a temp
// folder at run time; nothing is committed. Prints one Markdown row per pack and decode.
//   npx tsx bench/measure/preview-fidelity.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { preprocessImage, specFromManifest } from '../../app/media/preprocess.js';
import { loadPack } from '../../app/model/pack.js';
import { MagicLensRuntime } from '../../app/model/runtime.js';
import { sharedDir } from '../../app/paths.js';
import { tinyPackDir } from '../../tests/helpers/tiny-pack.js';
import { baseShapePack } from '../lib/base-pack.js';
import { withEmbeddedPreview } from '../lib/preview-jpegs.js';
import { photoLikeJpegs } from '../lib/shrink-fidelity.js';

const fashion = path.join(sharedDir(), 'datasets', 'fashion', 'images');
const demo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'packs', 'demo');

function diff(a: Float32Array, b: Float32Array): { maxAbs: number; meanAbs: number; cosine: number } {
  let m = 0, s = 0, d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]! - b[i]!);
    m = Math.max(m, x); s += x; d += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2;
  }
  return { maxAbs: m, meanAbs: s / a.length, cosine: d / Math.sqrt(na * nb) };
}

const variants = {
  'photo, 1/8 DCT decode': async (main: Buffer) => main,
  'MPF preview 1600×1200 q80': async (main: Buffer) => withEmbeddedPreview(main, await sharp(main).resize(1600, 1200, { kernel: 'lanczos3' }).jpeg({ quality: 80 }).toBuffer(), 'mpf'),
  'EXIF preview 512×384 q80': async (main: Buffer) => withEmbeddedPreview(main, await sharp(main).resize(512, 384, { kernel: 'lanczos3' }).jpeg({ quality: 80 }).toBuffer(), 'exif'),
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-preview-fidelity-'));
try {
  const src = fs.readdirSync(fashion).sort().slice(5000, 5012).map((f) => path.join(fashion, f));
  const files = await photoLikeJpegs(src, dir);
  process.stdout.write('| pack (input) | decode | input max-abs | input mean-abs | embedding cosine (min) |\n|---|---|---|---|---|\n');
  for (const packDir of [await baseShapePack(), (await tinyPackDir())!, demo]) {
    const pack = await loadPack(packDir, { verifyHashes: false });
    const spec = specFromManifest(pack.manifest);
    const rt = await MagicLensRuntime.open(pack, { threads: 2, warmup: false });
    const rows = new Map<string, ReturnType<typeof diff>[]>();
    const emb = new Map<string, number[]>();
    for (const f of files) {
      const main = fs.readFileSync(f);
      const exact = await preprocessImage(main, spec, { prescale: 0 });
      const ee = await rt.embedImages(exact, 1);
      for (const [name, make] of Object.entries(variants)) {
        const x = await preprocessImage(await make(main), spec);
        rows.set(name, [...(rows.get(name) ?? []), diff(x, exact)]);
        emb.set(name, [...(emb.get(name) ?? []), diff(await rt.embedImages(x, 1), ee).cosine]);
      }
    }
    const range = (v: number[], d: number) => `${Math.min(...v).toFixed(d)}–${Math.max(...v).toFixed(d)}`;
    for (const [name, r] of rows) process.stdout.write(`| ${pack.manifest.id} (${spec.size} px) | ${name} | ${range(r.map((x) => x.maxAbs), 3)} | ${range(r.map((x) => x.meanAbs), 4)} | ${Math.min(...emb.get(name)!).toFixed(7)} |\n`);
    await rt.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
