// Converts the checkpoint made by train_demo.py into the committed demo pack with the app's own
// converter (models/ts/convert.ts). createdAt is pinned so that the same checkpoint gives the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import { convertCheckpoint } from '../ts/convert.js';

const [checkpoint, vocab, outDir] = process.argv.slice(2);
if (!checkpoint || !vocab || !outDir) {
  console.error('usage: tsx models/python/convert_demo.ts <demo_checkpoint.pkl> <vocab.txt.gz> <out dir>');
  process.exit(2);
}
// Fixed date of the demo recipe (not the build time): the pack is a pure function of the checkpoint.
const CREATED_AT = '2026-11-22T00:00:00.000Z';

fs.rmSync(outDir, { recursive: true, force: true });
const manifest = await convertCheckpoint({
  checkpoint,
  vocab,
  outDir,
  id: 'magiclens-demo',
  name: 'MagicLens Demo (synthetic shapes)',
  demo: true,
  description: 'Tiny demo model trained by models/python on a synthetic world of coloured shapes '
    + '(npm run train:demo). It knows shapes, colours, counts, sizes, backgrounds and drawing styles, '
    + 'not real photos: install an official MagicLens model for real search.',
  source: 'models/python/train_demo.py (synthetic world, seed 20240601)',
  licence: 'Apache-2.0 (weights and vocabulary made by this project)',
  preprocessing: 'squash',
  // Accepted once the converter takes it; the rewrite below covers converters that do not.
  ...({ createdAt: CREATED_AT } as object),
});
const file = path.join(outDir, 'manifest.json');
const m = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof manifest;
m.createdAt = CREATED_AT;
fs.writeFileSync(file, JSON.stringify(m, null, 2) + '\n');
console.log(`wrote ${outDir}: ${Object.entries(m.files).map(([f, v]) => `${f} ${v.bytes} B`).join(', ')}`);
