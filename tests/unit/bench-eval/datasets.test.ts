// The benchmark runners on tiny synthetic folders in each benchmark's published layout, with the tiny
// random-weight pack (plumbing only: the figures of a random model mean nothing, except that image similarity
// must find byte-identical copies — see synthetic-layouts.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPackModel, type EvalModel } from '../../../bench/eval/model.js';
import { DATASETS } from '../../../bench/eval/datasets/index.js';
import { DatasetError, MODE_LABEL } from '../../../bench/eval/datasets/common.js';
import { joinCaptions } from '../../../bench/eval/datasets/fashioniq.js';
import { tinyPackDir } from '../../helpers/tiny-pack.js';
import { makeCirco, makeCirr, makeDtin, makeFashion, makeFashionIQ, makeGenecis, makeHeldOut, makeSketch } from './synthetic-layouts.js';
import { fashionQueries, readFashionLabels } from '../../../bench/eval/datasets/fashion.js';

const pack = await tinyPackDir();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-eval-layouts-'));
let model: EvalModel;

describe.skipIf(!pack)('benchmark runners on synthetic layouts (tiny pack)', () => {
  beforeAll(async () => { model = await openPackModel(pack as string, { threads: 1 }); });
  afterAll(async () => { await model?.close(); fs.rmSync(tmp, { recursive: true, force: true }); });

  const imageRow = (t: { rows: { label: string; values: (number | null)[] }[] }) => t.rows.find((r) => r.label === MODE_LABEL.image)!.values;

  it('CIRR: the reference is excluded and the copy is found; all three modes give a full row in [0,100]', async () => {
    const root = path.join(tmp, 'cirr');
    await makeCirr(root);
    const t = await DATASETS.cirr!.run({ root, model });
    expect(t.columns).toEqual(['R@1', 'R@5', 'R@10', 'R@50', 'Rs@1', 'Rs@2', 'Rs@3', 'Avg (R@5+Rs@1)/2']);
    expect(t.rows.map((r) => r.label)).toEqual([MODE_LABEL.composed, MODE_LABEL.text, MODE_LABEL.image]);
    expect(t.queries).toBe(4);
    expect(t.gallery).toBe(24);
    for (const r of t.rows) for (const v of r.values) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(100); }
    // without reference exclusion the reference itself (score 1, tied with its copy) could take rank 1
    expect(imageRow(t)).toEqual([100, 100, 100, 100, 100, 100, 100, 100]);
    // R@k is monotone in k for every mode
    for (const r of t.rows) expect((r.values[0] as number) <= (r.values[3] as number)).toBe(true);
  });

  it('CIRCO: mAP@k with two ground truths, one a copy of the reference', async () => {
    const root = path.join(tmp, 'circo');
    await makeCirco(root);
    const t = await DATASETS.circo!.run({ root, model, modes: ['image', 'composed'] });
    expect(t.columns).toEqual(['mAP@5', 'mAP@10', 'mAP@25', 'mAP@50']);
    expect(t.gallery).toBe(15);
    const v = imageRow(t) as number[];
    // the copy is at rank 1 → AP@5 ≥ (1/1)/min(5,2) = 50 %
    expect(v[0]).toBeGreaterThanOrEqual(50);
    // gallery of 15 minus the reference: both ground truths are within the top 14, so AP@25 = AP@50 ≥ AP@5
    expect(v[2]).toBe(v[3]);
    expect(v[2]).toBeGreaterThanOrEqual(v[0] as number);
  });

  it('FashionIQ: per-category R@10/R@50 and averages; references outside the gallery split are encoded', async () => {
    const root = path.join(tmp, 'fiq');
    await makeFashionIQ(root);
    const t = await DATASETS.fashioniq!.run({ root, model, modes: ['image', 'text'] });
    expect(t.columns).toEqual(['dress R@10', 'dress R@50', 'shirt R@10', 'shirt R@50', 'toptee R@10', 'toptee R@50', 'Avg R@10', 'Avg R@50']);
    expect(t.queries).toBe(9);
    expect(t.gallery).toBe(18);
    expect(imageRow(t)).toEqual([100, 100, 100, 100, 100, 100, 100, 100]);
    expect(joinCaptions(['is red.', ' has short sleeves? '])).toBe('is red and has short sleeves');
  });

  it('DTIN: four domains, every target of the class in the domain is relevant', async () => {
    const root = path.join(tmp, 'dtin');
    await makeDtin(root);
    const t = await DATASETS.dtin!.run({ root, model, modes: ['image', 'composed'] });
    expect(t.columns.slice(0, 2)).toEqual(['cartoon R@10', 'cartoon R@50']);
    expect(t.columns).toHaveLength(10);
    expect(t.gallery).toBe(16);
    expect(imageRow(t)).toEqual(Array(10).fill(100));
  });

  it('GeneCIS: attribute crops (Visual Genome boxes) and COCO objects, R@1/2/3 per task', async () => {
    const root = path.join(tmp, 'genecis');
    await makeGenecis(root);
    const t = await DATASETS.genecis!.run({ root, model, modes: ['image', 'composed'] });
    expect(t.columns).toHaveLength(13);
    expect(t.queries).toBe(8);
    expect(imageRow(t)).toEqual(Array(13).fill(100));
    const composed = t.rows[1]!.values as number[];
    // with a 4-image gallery, R@3 ≥ R@2 ≥ R@1 ≥ 0
    for (let task = 0; task < 4; task++) expect(composed[task * 3 + 2]! >= composed[task * 3]!).toBe(true);
  });

  it('Sketch: mAP@200 and P@200 on the zero-shot classes only', async () => {
    const root = path.join(tmp, 'sketch');
    await makeSketch(root);
    const t = await DATASETS.sketch!.run({ root, model, modes: ['image'] });
    expect(t.columns).toEqual(['mAP@200', 'P@200']);
    expect(t.queries).toBe(3); // the train-only class is left out
    expect(t.gallery).toBe(9);
    // 3 relevant photos, all at the top: AP@200 = 1; P@200 = 3/200
    expect(imageRow(t)).toEqual([100, 1.5]);
  });

  it('held-out world (make_heldout.py layout): the query photo is excluded, its copy is the first positive', async () => {
    const root = path.join(tmp, 'heldout');
    await makeHeldOut(root);
    const t = await DATASETS.heldout!.run({ root, model });
    expect(t.columns).toEqual(['R@1', 'R@5', 'R@10', 'R@50', 'mAP@5', 'mAP@10', 'mAP@50']);
    expect(t.gallery).toBe(12);
    expect(imageRow(t)).toEqual(Array(7).fill(100));
  });

  it('fashion label-derived queries: relevant sets follow the labels; captions are text-only rows', async () => {
    const root = path.join(tmp, 'fashion');
    await makeFashion(root);
    const items = readFashionLabels(path.join(root, 'labels.csv'));
    expect(items).toHaveLength(45);
    const qs = fashionQueries(items, { perTask: 6 });
    expect(qs.filter((q) => q.task === 'recolour')).toHaveLength(6);
    const byId = new Map(items.map((it) => [it.id, it]));
    for (const q of qs.filter((x) => x.task === 'recolour')) {
      const ref = byId.get(q.reference!)!;
      const rel = q.relevant.map((id) => byId.get(id)!);
      expect(new Set(rel.map((r) => r.articleType))).toEqual(new Set([ref.articleType]));
      expect(rel.every((r) => r.baseColour !== ref.baseColour)).toBe(true);
      expect(q.text).toMatch(/^the same (shirts|t-shirts|watches) but in (black|navy blue|red)$/);
      expect(q.relevant).toHaveLength(5);
    }
    for (const q of qs.filter((x) => x.task === 'retype')) {
      const ref = byId.get(q.reference!)!;
      const rel = q.relevant.map((id) => byId.get(id)!);
      expect(rel.every((r) => r.baseColour === ref.baseColour && r.articleType !== ref.articleType)).toBe(true);
    }
    expect(fashionQueries(items, { perTask: 6 })).toEqual(qs); // seeded: the same queries on every run
    const t = await DATASETS.fashion!.run({ root, model, limit: 4 });
    expect(t.rows.map((r) => r.label)).toEqual([
      ...['recolour', 'retype'].flatMap((task) => [MODE_LABEL.composed, MODE_LABEL.text, MODE_LABEL.image].map((m) => `${task}: ${m}`)),
      `caption: ${MODE_LABEL.text}`,
    ]);
    for (const r of t.rows) for (const v of r.values) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(100); }
    fs.writeFileSync(path.join(root, 'bad.csv'), 'id,articleType,baseColour,productDisplayName,gender\n1,"Shirts",Red,x,Men\n');
    expect(() => readFashionLabels(path.join(root, 'bad.csv'))).toThrow(/quoted fields/);
  });

  it('a missing annotation file is a clear DatasetError naming the file', async () => {
    const root = path.join(tmp, 'empty');
    fs.mkdirSync(root, { recursive: true });
    await expect(DATASETS.cirr!.run({ root, model })).rejects.toThrow(DatasetError);
    await expect(DATASETS.cirr!.run({ root, model })).rejects.toThrow(/cap\.rc2\.val\.json is missing/);
    await expect(DATASETS.fashioniq!.run({ root, model })).rejects.toThrow(/FashionIQ: no captions/);
  });
});
