// One command for the demo pack: `npm run train:demo` trains the demo model (train_demo.py), then
// converts its checkpoint into models/packs/demo with the app's converter (convert_demo.ts).
// `npm run train:demo -- --ablation` also trains the same recipe without query negatives (from the
// same CLIP stage) and prints both held-out metric tables; the pack is always the one with them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
// Debian's python3 has torch/numpy/PIL/msgpack; a python3 earlier on PATH may not.
const python = process.env.MAGICLENS_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const work = path.join(root, '.tmp', 'demo-train');
const ablation = process.argv.includes('--ablation');

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit', cwd: root });
const t0 = Date.now();
run(python, [path.join(here, 'train_demo.py'), '--out', work]);
run(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(here, 'convert_demo.ts'),
  path.join(work, 'demo_checkpoint.pkl'), path.join(work, 'vocab.txt.gz'), path.join(root, 'models', 'packs', 'demo')]);
console.log(`demo pack written to models/packs/demo in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

if (ablation) {
  const noQn = path.join(root, '.tmp', 'demo-train-no-qn');
  run(python, [path.join(here, 'train_demo.py'), '--out', noQn, '--no-query-negatives', '--clip-from', work]);
  const rows = [['with query negatives', work], ['without query negatives', noQn]].map(([label, dir]) => {
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8')).test;
    return `| ${label} | ${m['R@1'].toFixed(3)} | ${m['R@5'].toFixed(3)} | ${m['mAP@5'].toFixed(3)} | ${m.query_first.toFixed(3)} | ${m['R@1_query_in_pool'].toFixed(3)} | ${m['t2i_R@1'].toFixed(3)} |`;
  });
  console.log(['', '| held-out (test pages) | R@1 | R@5 | mAP@5 | query first | R@1 (query in pool) | text->image R@1 |',
    '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n'));
}
