// The demo world's held-out set as models/python/make_heldout.py writes it:
//   <root>/queries.json {photos:[{file, key, role, caption}], queries:[{query, instruction, target, positives:[file]}]}
//   <root>/<file>.png
// Every photo is the gallery; a query is (query photo, instruction); every positive counts (same object key as
// the target). Columns: R@1/5/10/50 and mAP@5/10/50, as for the fashion queries.
import path from 'node:path';
import { averagePrecisionAtK, hitAtK, mean } from '../metrics.js';
import { rankIds } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, galleryMatrix, limited, mustExist, pct, queryVectors, readJson, type Mode, type ResultTable, type RunOptions } from './common.js';
import { FASHION_COLUMNS } from './fashion.js';

interface HeldOut {
  photos: { file: string }[];
  queries: { query: string; instruction: string; target: string; positives: string[] }[];
}

export async function runHeldOut(opts: RunOptions): Promise<ResultTable> {
  const h = readJson<HeldOut>(path.join(opts.root, 'queries.json'), 'held-out set');
  if (!Array.isArray(h.photos) || !Array.isArray(h.queries)) throw new DatasetError('held-out set: queries.json needs "photos" and "queries" arrays');
  const queries = limited(h.queries, opts.limit);
  const files = h.photos.map((p) => p.file);
  const gallery = await encodeDistinct(opts.model, files, (f) => mustExist(path.join(opts.root, f), 'held-out photo'), opts.log, 'held-out photos');
  const D = opts.model.dim;
  const rows = [];
  for (const mode of (opts.modes ?? ALL_MODES) as Mode[]) {
    const refRows = queries.map((q) => {
      const r = gallery.rowOf.get(q.query);
      if (r === undefined) throw new DatasetError(`held-out set: query photo ${q.query} is not among the photos`);
      return r;
    });
    const qv = await queryVectors(mode, opts.model, gallery.enc, refRows, queries.map((q) => q.instruction));
    const gm = galleryMatrix(mode, gallery.enc);
    const m: number[][] = FASHION_COLUMNS.map(() => []);
    queries.forEach((q, i) => {
      const ranked = rankIds(gm, D, gallery.keys, qv.subarray(i * D, (i + 1) * D), 50, new Set([q.query]));
      const rel = q.positives.filter((p) => p !== q.query);
      const relevant = rel.length > 0 ? rel : [q.target];
      [1, 5, 10, 50].forEach((k, j) => m[j]!.push(hitAtK(ranked, relevant, k)));
      [5, 10, 50].forEach((k, j) => m[4 + j]!.push(averagePrecisionAtK(ranked, relevant, k)));
    });
    rows.push({ label: MODE_LABEL[mode], values: m.map((v) => pct(mean(v))) });
  }
  const avgPos = mean(queries.map((q) => q.positives.length));
  return {
    dataset: 'heldout', title: `Synthetic held-out world (${queries.length} queries, ${files.length} photos)`,
    columns: FASHION_COLUMNS, rows, queries: queries.length, gallery: files.length,
    notes: [`relevant = every photo of the target's object (mean ${avgPos.toFixed(1)} per query); query photo excluded from its ranking`],
  };
}
