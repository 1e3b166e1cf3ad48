// Label-derived instruction queries on a product-photo folder (images/<id>.jpg + labels.csv with id, articleType,
// baseColour, productDisplayName, …), the layout of the "Fashion Product Images (small)" collection:
//   recolour   "the same {articleType} but in {colour}"  → every item of that type in that colour is relevant
//   retype     "a {other type} in the same colour"        → every item of the other type in the reference's colour
//   caption    productDisplayName (text only)             → that one item
// Columns: R@1/5/10/50 (any relevant in the top k) and mAP@5/10/50 (CIRCO's AP@k over all relevant items).
import fs from 'node:fs';
import path from 'node:path';
import { averagePrecisionAtK, hitAtK, mean } from '../metrics.js';
import { rankIds } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, galleryMatrix, pct, queryVectors, type Mode, type ResultTable, type RunOptions } from './common.js';
import type { EncodedImages } from '../model.js';

export interface FashionItem { id: string; articleType: string; baseColour: string; productDisplayName: string; gender: string }

/** labels.csv has a fixed header and no quoted fields (checked: a quote or a wrong field count is an error). */
export function readFashionLabels(file: string): FashionItem[] {
  if (!fs.existsSync(file)) throw new DatasetError(`fashion: ${file} is missing`);
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DatasetError(`fashion: ${file} has no "${name}" column`);
    return i;
  };
  const [iId, iType, iColour, iName, iGender] = ['id', 'articleType', 'baseColour', 'productDisplayName', 'gender'].map(col) as number[];
  return lines.slice(1).map((l, n) => {
    if (l.includes('"')) throw new DatasetError(`fashion: line ${n + 2} of ${file} has quoted fields, which this reader does not handle`);
    const f = l.split(',');
    if (f.length !== header.length) throw new DatasetError(`fashion: line ${n + 2} of ${file} has ${f.length} fields, expected ${header.length}`);
    return { id: f[iId!] as string, articleType: f[iType!] as string, baseColour: f[iColour!] as string, productDisplayName: f[iName!] as string, gender: f[iGender!] as string };
  });
}

const typeWord = (t: string) => t.toLowerCase().replace(/^tshirts$/, 't-shirts');
const colourWord = (c: string) => c.toLowerCase();

export interface FashionQuery { task: 'recolour' | 'retype' | 'caption'; reference: string | null; text: string; relevant: string[] }

/** mulberry32, so the sampled queries are the same on every run */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds the three query sets. Only (type, colour) groups with at least `minGroup` items are used, so every
 * query has several relevant items; types need at least 3 such colours.
 */
export function fashionQueries(items: readonly FashionItem[], opts: { perTask: number; minGroup?: number; seed?: number }): FashionQuery[] {
  const minGroup = opts.minGroup ?? 5;
  const r = rng(opts.seed ?? 2024);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)] as T;
  const groups = new Map<string, string[]>();
  const key = (t: string, c: string) => `${t}\u0000${c}`;
  for (const it of items) groups.set(key(it.articleType, it.baseColour), [...(groups.get(key(it.articleType, it.baseColour)) ?? []), it.id]);
  const coloursOf = new Map<string, string[]>();
  for (const [k, ids] of groups) {
    if (ids.length < minGroup) continue;
    const [t, c] = k.split('\u0000') as [string, string];
    coloursOf.set(t, [...(coloursOf.get(t) ?? []), c]);
  }
  const types = [...coloursOf.entries()].filter(([, cs]) => cs.length >= 3).map(([t]) => t).sort();
  const out: FashionQuery[] = [];
  if (types.length === 0) return out;
  for (let i = 0; i < opts.perTask; i++) {
    const t = pick(types);
    const cs = coloursOf.get(t) as string[];
    const c1 = pick(cs);
    const c2 = pick(cs.filter((c) => c !== c1));
    out.push({ task: 'recolour', reference: pick(groups.get(key(t, c1)) as string[]), text: `the same ${typeWord(t)} but in ${colourWord(c2)}`, relevant: groups.get(key(t, c2)) as string[] });
  }
  for (let i = 0; i < opts.perTask; i++) {
    // a colour shared by two types, both with a big enough group
    const t1 = pick(types);
    const c = pick(coloursOf.get(t1) as string[]);
    const others = types.filter((t) => t !== t1 && (coloursOf.get(t) as string[]).includes(c));
    if (others.length === 0) { i--; continue; }
    const t2 = pick(others);
    out.push({ task: 'retype', reference: pick(groups.get(key(t1, c)) as string[]), text: `a ${typeWord(t2).replace(/s$/, '')} in the same colour`, relevant: groups.get(key(t2, c)) as string[] });
  }
  const all = [...items];
  for (let i = 0; i < opts.perTask && all.length > 0; i++) {
    const it = all.splice(Math.floor(r() * all.length), 1)[0] as FashionItem;
    out.push({ task: 'caption', reference: null, text: it.productDisplayName, relevant: [it.id] });
  }
  return out;
}

export const FASHION_COLUMNS = ['R@1', 'R@5', 'R@10', 'R@50', 'mAP@5', 'mAP@10', 'mAP@50'];

export async function runFashion(opts: RunOptions & { perTask?: number; galleryCache?: (ids: string[], compute: () => Promise<EncodedImages>) => Promise<EncodedImages> }): Promise<ResultTable> {
  const items = readFashionLabels(path.join(opts.root, 'labels.csv'));
  const present = items.filter((it) => fs.existsSync(path.join(opts.root, 'images', `${it.id}.jpg`)));
  if (present.length === 0) throw new DatasetError(`fashion: no images/<id>.jpg under ${opts.root}`);
  const queries = fashionQueries(present, { perTask: opts.limit ?? opts.perTask ?? 200 });
  const D = opts.model.dim;
  const ids = present.map((it) => it.id);
  const compute = async () => (await encodeDistinct(opts.model, ids, (id) => path.join(opts.root, 'images', `${id}.jpg`), opts.log, 'fashion gallery')).enc;
  const enc = opts.galleryCache ? await opts.galleryCache(ids, compute) : await compute();
  const rowOf = new Map(ids.map((id, i) => [id, i]));
  const modes: Mode[] = opts.modes ?? ALL_MODES;
  const rows = [];
  for (const task of ['recolour', 'retype', 'caption'] as const) {
    const qs = queries.filter((q) => q.task === task);
    if (qs.length === 0) continue;
    // A caption has no reference photo: only text search applies
    const taskModes: Mode[] = task === 'caption' ? modes.filter((m) => m === 'text') : modes;
    for (const mode of taskModes) {
      const refRows = qs.map((q) => (q.reference ? (rowOf.get(q.reference) as number) : 0));
      const qv = await queryVectors(mode, opts.model, enc, refRows, qs.map((q) => q.text));
      const gm = galleryMatrix(mode, enc);
      const m: number[][] = FASHION_COLUMNS.map(() => []);
      qs.forEach((q, i) => {
        const ranked = rankIds(gm, D, ids, qv.subarray(i * D, (i + 1) * D), 50, q.reference ? new Set([q.reference]) : undefined);
        [1, 5, 10, 50].forEach((k, j) => m[j]!.push(hitAtK(ranked, q.relevant, k)));
        [5, 10, 50].forEach((k, j) => m[4 + j]!.push(averagePrecisionAtK(ranked, q.relevant, k)));
      });
      rows.push({ label: `${task}: ${MODE_LABEL[mode]}`, values: m.map((v) => pct(mean(v))) });
    }
  }
  const ex = (t: string) => queries.find((q) => q.task === t)?.text ?? '';
  return {
    dataset: 'fashion', title: `Fashion product photos, label-derived queries (${queries.length} queries, ${ids.length} images)`,
    columns: FASHION_COLUMNS, rows, queries: queries.length, gallery: ids.length,
    notes: [`e.g. recolour "${ex('recolour')}", retype "${ex('retype')}", caption "${ex('caption')}"`, 'the reference photo is excluded from its own ranking'],
  };
}
