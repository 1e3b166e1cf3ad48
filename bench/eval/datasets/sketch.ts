// Zero-shot sketch-based image retrieval on Sketchy (Sangkloy et al. 2016; the extended photo set and the
// zero-shot split of Yelamarthi et al. 2018, as ZS-SBIR code bases lay it out), also fits TU-Berlin copies:
//   <root>/sketch/tx_000000000000/<class>/*.png      (or <root>/sketch/<class>/*)
//   <root>/extended_photo/<class>/*.jpg              (or <root>/photo/tx_000000000000/<class>/*, <root>/photo/<class>/*)
//   optional test classes: <root>/zeroshot1/cname_cid_zero.txt ("<class> <id>" per line); else every class.
// A query is a sketch + an instruction (default "a photo of this"); relevant = every photo of the same class.
// Columns as in the paper: mAP@200 and Precision@200.
import fs from 'node:fs';
import path from 'node:path';
import { averagePrecisionAtK, mean, precisionAtK } from '../metrics.js';
import { rankIds } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, galleryMatrix, limited, pct, queryVectors, type Mode, type ResultTable, type RunOptions } from './common.js';

const IMG = /\.(png|jpe?g|webp)$/i;

function classDir(root: string, candidates: string[], what: string): string {
  for (const c of candidates) {
    const p = path.join(root, c);
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) return p;
  }
  throw new DatasetError(`sketch dataset: no ${what} folder (tried ${candidates.join(', ')}) under ${root}`);
}

function listByClass(dir: string, classes: ReadonlySet<string> | null): { file: string; cls: string }[] {
  const out: { file: string; cls: string }[] = [];
  for (const cls of fs.readdirSync(dir).sort()) {
    if (classes && !classes.has(cls)) continue;
    const cdir = path.join(dir, cls);
    if (!fs.statSync(cdir).isDirectory()) continue;
    for (const f of fs.readdirSync(cdir).sort()) if (IMG.test(f)) out.push({ file: path.join(cdir, f), cls });
  }
  return out;
}

export async function runSketch(opts: RunOptions & { instruction?: string; classesFile?: string }): Promise<ResultTable> {
  const modes: Mode[] = opts.modes ?? ALL_MODES;
  const sketchDir = classDir(opts.root, ['sketch/tx_000000000000', 'sketch'], 'sketch');
  const photoDir = classDir(opts.root, ['extended_photo', 'photo/tx_000000000000', 'photo'], 'photo');
  const classesFile = opts.classesFile ?? path.join(opts.root, 'zeroshot1', 'cname_cid_zero.txt');
  const classes = fs.existsSync(classesFile)
    ? new Set(fs.readFileSync(classesFile, 'utf8').split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0] ?? '').filter((c) => c.length > 0))
    : null;
  const sketches = limited(listByClass(sketchDir, classes), opts.limit);
  const photos = listByClass(photoDir, classes);
  if (sketches.length === 0 || photos.length === 0) throw new DatasetError(`sketch dataset: found ${sketches.length} sketches and ${photos.length} photos under ${opts.root}`);
  const instruction = opts.instruction ?? 'a photo of this';
  const D = opts.model.dim;
  const gallery = await encodeDistinct(opts.model, photos.map((p) => p.file), (f) => f, opts.log, 'sketch gallery (photos)');
  const refs = await encodeDistinct(opts.model, sketches.map((s) => s.file), (f) => f, opts.log, 'sketch queries');
  const byClass = new Map<string, string[]>();
  for (const p of photos) byClass.set(p.cls, [...(byClass.get(p.cls) ?? []), p.file]);
  const rows = [];
  for (const mode of modes) {
    const q = await queryVectors(mode, opts.model, refs.enc, sketches.map((s) => refs.rowOf.get(s.file) as number), sketches.map(() => instruction));
    const gm = galleryMatrix(mode, gallery.enc);
    const aps: number[] = [];
    const precs: number[] = [];
    sketches.forEach((s, i) => {
      const ranked = rankIds(gm, D, gallery.keys, q.subarray(i * D, (i + 1) * D), 200);
      const rel = byClass.get(s.cls) ?? [];
      aps.push(averagePrecisionAtK(ranked, rel, 200));
      precs.push(precisionAtK(ranked, rel, 200));
    });
    rows.push({ label: MODE_LABEL[mode], values: [pct(mean(aps)), pct(mean(precs))] });
  }
  return {
    dataset: 'sketch', title: `Sketch → photo (${sketches.length} sketches, ${photos.length} photos, ${byClass.size} classes)`,
    columns: ['mAP@200', 'P@200'], rows, queries: sketches.length, gallery: photos.length,
    notes: [`instruction: "${instruction}"; AP@200 normalised by min(200, |class photos|) (CIRCO-style AP@k)`],
  };
}
