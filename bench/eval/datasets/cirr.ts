// CIRR (Liu et al., ICCV 2021) in its published layout:
//   <root>/cirr/captions/cap.rc2.<split>.json      [{pairid, reference, target_hard, caption, img_set:{id, members}}]
//   <root>/cirr/image_splits/split.rc2.<split>.json {name: "./dev/<name>.png"} (paths relative to <root>)
// Columns as in the MagicLens paper: Recall@1/5/10/50 over the whole split (reference removed) and
// Recall_subset@1/2/3 within the query's image set.
import path from 'node:path';
import { hitAtK, mean, subsetHitAtK } from '../metrics.js';
import { dot, rankIds } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, galleryMatrix, limited, mustExist, pct, queryVectors, readJson, type ResultTable, type RunOptions } from './common.js';

interface CirrTriplet {
  pairid: number;
  reference: string;
  target_hard?: string;
  caption: string;
  img_set: { id: number; members: string[] };
}

export async function runCirr(opts: RunOptions): Promise<ResultTable> {
  const split = opts.split ?? 'val';
  const base = path.join(opts.root, 'cirr');
  const triplets = limited(readJson<CirrTriplet[]>(path.join(base, 'captions', `cap.rc2.${split}.json`), 'CIRR captions'), opts.limit);
  const relpaths = readJson<Record<string, string>>(path.join(base, 'image_splits', `split.rc2.${split}.json`), 'CIRR image split');
  if (triplets.some((t) => !t.target_hard)) throw new DatasetError(`CIRR ${split}: no target_hard in the captions (the test split has no public targets; use val)`);
  const names = Object.keys(relpaths);
  const fileOf = (name: string) => {
    const rel = relpaths[name];
    if (!rel) throw new DatasetError(`CIRR: image ${name} is not in split.rc2.${split}.json`);
    return mustExist(path.join(opts.root, rel), 'CIRR image');
  };
  const gallery = await encodeDistinct(opts.model, names, fileOf, opts.log, 'CIRR gallery');
  const refRows = triplets.map((t) => gallery.rowOf.get(t.reference) as number);
  const D = opts.model.dim;
  const cols = ['R@1', 'R@5', 'R@10', 'R@50', 'Rs@1', 'Rs@2', 'Rs@3', 'Avg (R@5+Rs@1)/2'];
  const rows = [];
  for (const mode of opts.modes ?? ALL_MODES) {
    const q = await queryVectors(mode, opts.model, gallery.enc, refRows, triplets.map((t) => t.caption));
    const gm = galleryMatrix(mode, gallery.enc);
    const r: Record<string, number[]> = Object.fromEntries(cols.map((c) => [c, []]));
    triplets.forEach((t, i) => {
      const qi = q.subarray(i * D, (i + 1) * D);
      const ranked = rankIds(gm, D, gallery.keys, qi, 50, new Set([t.reference]));
      for (const k of [1, 5, 10, 50]) r[`R@${k}`]!.push(hitAtK(ranked, [t.target_hard as string], k));
      // Within the image set every member is scored, so rank all of them
      const members = t.img_set.members.filter((m) => gallery.rowOf.has(m));
      const memberRank = members
        .map((m) => ({ m, s: dot(qi, gm, (gallery.rowOf.get(m) as number) * D) }))
        .sort((a, b) => b.s - a.s)
        .map((x) => x.m);
      for (const k of [1, 2, 3]) r[`Rs@${k}`]!.push(subsetHitAtK(memberRank, t.target_hard as string, members, t.reference, k));
    });
    const vals = cols.slice(0, 7).map((c) => pct(mean(r[c]!)));
    vals.push(Math.round(((vals[1] as number) + (vals[4] as number)) / 2 * 100) / 100);
    rows.push({ label: MODE_LABEL[mode], values: vals });
  }
  return { dataset: 'cirr', title: `CIRR ${split} (${triplets.length} queries, ${names.length} images)`, columns: cols, rows, queries: triplets.length, gallery: names.length, notes: ['reference image removed from each ranking, as in the CIRR evaluation'] };
}

