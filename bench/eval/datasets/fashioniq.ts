// FashionIQ (Wu et al., CVPR 2021) in its published layout (as used by CLIP4Cir / SEARLE):
//   <root>/captions/cap.<dress|shirt|toptee>.<split>.json   [{candidate, target, captions:[c1, c2]}]
//   <root>/image_splits/split.<category>.<split>.json       ["<asin>", ...]
//   <root>/images/<asin>.png (or .jpg)
// Columns as in the paper: Recall@10 and Recall@50 per category and their average. The two captions are joined
// with "and" (the usual protocol); the gallery is the category's split.
import fs from 'node:fs';
import path from 'node:path';
import { hitAtK, mean } from '../metrics.js';
import { rankIds } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, firstExisting, galleryMatrix, limited, pct, queryVectors, readJson, type Mode, type ResultTable, type RunOptions } from './common.js';

export const FIQ_CATEGORIES = ['dress', 'shirt', 'toptee'] as const;

interface FiqTriplet { candidate: string; target?: string; captions: string[] }

export function joinCaptions(c: readonly string[]): string {
  const clean = c.map((x) => x.trim().replace(/^[.?, ]+|[.?, ]+$/g, '')).filter((x) => x.length > 0);
  return clean.join(' and ');
}

export async function runFashionIQ(opts: RunOptions): Promise<ResultTable> {
  const split = opts.split ?? 'val';
  const modes: Mode[] = opts.modes ?? ALL_MODES;
  const cats = FIQ_CATEGORIES.filter((c) => fs.existsSync(path.join(opts.root, 'captions', `cap.${c}.${split}.json`)));
  if (cats.length === 0) throw new DatasetError(`FashionIQ: no captions/cap.<dress|shirt|toptee>.${split}.json under ${opts.root}`);
  const D = opts.model.dim;
  const imageFile = (name: string) => firstExisting([path.join(opts.root, 'images', `${name}.png`), path.join(opts.root, 'images', `${name}.jpg`)], 'FashionIQ image');
  const perMode = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  let totalQ = 0;
  let totalG = 0;
  for (const cat of cats) {
    const triplets = limited(readJson<FiqTriplet[]>(path.join(opts.root, 'captions', `cap.${cat}.${split}.json`), 'FashionIQ captions'), opts.limit);
    if (triplets.some((t) => !t.target)) throw new DatasetError(`FashionIQ ${cat} ${split}: no targets (test split); use val`);
    const names = readJson<string[]>(path.join(opts.root, 'image_splits', `split.${cat}.${split}.json`), 'FashionIQ image split');
    // References can lie outside the category's gallery split; encode them too
    const gallery = await encodeDistinct(opts.model, [...names, ...triplets.map((t) => t.candidate)], imageFile, opts.log, `FashionIQ ${cat}`);
    const inSplit = new Set(names);
    const galleryKeys = gallery.keys.filter((k) => inSplit.has(k));
    const galleryRows = galleryKeys.map((k) => gallery.rowOf.get(k) as number);
    totalQ += triplets.length;
    totalG += galleryKeys.length;
    for (const mode of modes) {
      const q = await queryVectors(mode, opts.model, gallery.enc, triplets.map((t) => gallery.rowOf.get(t.candidate) as number), triplets.map((t) => joinCaptions(t.captions)));
      const full = galleryMatrix(mode, gallery.enc);
      const gm = new Float32Array(galleryRows.length * D);
      galleryRows.forEach((r, i) => gm.set(full.subarray(r * D, (r + 1) * D), i * D));
      const r10: number[] = [];
      const r50: number[] = [];
      triplets.forEach((t, i) => {
        const ranked = rankIds(gm, D, galleryKeys, q.subarray(i * D, (i + 1) * D), 50);
        r10.push(hitAtK(ranked, [t.target as string], 10));
        r50.push(hitAtK(ranked, [t.target as string], 50));
      });
      perMode.get(mode)!.push(pct(mean(r10)), pct(mean(r50)));
    }
  }
  const columns = [...cats.flatMap((c) => [`${c} R@10`, `${c} R@50`]), 'Avg R@10', 'Avg R@50'];
  const rows = modes.map((m) => {
    const v = perMode.get(m)!;
    const r10 = v.filter((_, i) => i % 2 === 0);
    const r50 = v.filter((_, i) => i % 2 === 1);
    return { label: MODE_LABEL[m], values: [...v, Math.round(mean(r10) * 100) / 100, Math.round(mean(r50) * 100) / 100] };
  });
  return { dataset: 'fashioniq', title: `FashionIQ ${split} (${totalQ} queries over ${cats.join('/')}, ${totalG} gallery images)`, columns, rows, queries: totalQ, gallery: totalG, notes: ['captions joined with "and"; gallery = the category split'] };
}
