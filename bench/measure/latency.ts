// Interactive query latency with the library idle and while bulk indexing runs (the two-lane
// design's claim), plus the indexing throughput of the same run.
//
// usage: npx tsx bench/measure/latency.ts PACK_DIR FOLDER_A [N_B=40]
//   FOLDER_A is indexed first (the searchable library); then N_B generated 12-MP JPEGs are indexed
//   while queries run against the interactive lane.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { ModelRegistry } from '../../app/model/registry.js';
import { createService } from '../../app/service.js';
import { noise } from '../../tests/helpers/engine.js';

const [packDir, folderA, nB = '40'] = process.argv.slice(2);
if (!packDir || !folderA) {
  console.error('usage: tsx bench/measure/latency.ts PACK_DIR FOLDER_A [N_B]');
  process.exit(2);
}
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-latency-'));
const folderB = path.join(home, 'big-photos');
fs.mkdirSync(folderB);
for (let i = 0; i < Number(nB); i++) {
  // Smooth colour field + noise: compresses like a photo (a few MB), decodes like one.
  const small = sharp(noise(7000 + i, 40 * 30 * 3), { raw: { width: 40, height: 30, channels: 3 } });
  await small.resize(4000, 3000, { kernel: 'cubic' }).jpeg({ quality: 90 }).toFile(path.join(folderB, `big${i}.jpg`));
}
const reg = new ModelRegistry(home, path.join(home, 'none'));
const pack = await reg.install(packDir);
reg.setActive(pack.manifest.id);
const svc = await createService({ dataDir: home, bundledPacksDir: path.join(home, 'none'), watch: false });

const tA = performance.now();
await svc.handlers['folders.add']({ path: folderA, exclude: [] });
await svc.scansIdle();
await svc.whenIdle();
const nA = (await svc.handlers['status.get']({})).photos.indexed;
const secA = (performance.now() - tA) / 1000;
console.log(`model ${pack.manifest.id}: indexed ${nA} photos of ${folderA} in ${secA.toFixed(1)} s (${(nA / secA).toFixed(2)} photos/s, scan included)`);

const ids = (await svc.handlers['photos.list']({ offset: 0, limit: 50, sort: 'name' })).items.map((p) => p.id);
const texts = ['a red dress', 'blue jeans for men', 'a black leather watch', 'white running shoes', 'a striped shirt'];
async function sample(label: string, stop: () => boolean, max = 30): Promise<void> {
  const t: Record<string, number[]> = { text: [], compose: [], similar: [] };
  let i = 0;
  while (i < max && !stop()) {
    const page = { offset: 0, limit: 30, filters: {} };
    let s = performance.now();
    await svc.handlers['search.text']({ text: texts[i % texts.length]!, ...page });
    t.text!.push(performance.now() - s);
    s = performance.now();
    await svc.handlers['search.compose']({ photo: { id: ids[i % ids.length]! }, instruction: `in ${['red', 'blue', 'green'][i % 3]}`, includeQueryPhoto: false, ...page });
    t.compose!.push(performance.now() - s);
    s = performance.now();
    await svc.handlers['search.similar']({ photo: { id: ids[(i * 7) % ids.length]! }, includeQueryPhoto: false, ...page });
    t.similar!.push(performance.now() - s);
    i++;
  }
  const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))]!;
  console.log(`${label}: ${Object.entries(t).map(([k, a]) => `${k} median ${q(a, 0.5).toFixed(1)} ms / p95 ${q(a, 0.95).toFixed(1)} ms`).join('; ')} (${i} rounds)`);
}
await svc.handlers['search.text']({ text: 'warm up', offset: 0, limit: 5, filters: {} });
await sample('idle', () => false);

const tB = performance.now();
await svc.handlers['folders.add']({ path: folderB, exclude: [] });
await svc.scansIdle();
const busy = () => svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE status = 'pending'`).get() as { n: number };
await new Promise((r) => setTimeout(r, 1500)); // let the bulk lane get going
await sample('during bulk indexing', () => busy().n === 0);
await svc.whenIdle();
const secB = (performance.now() - tB) / 1000;
console.log(`bulk: ${nB} 12-MP JPEGs indexed in ${secB.toFixed(1)} s (${(Number(nB) / secB).toFixed(2)} photos/s, while serving the queries above)`);
await svc.close();
fs.rmSync(home, { recursive: true, force: true });
