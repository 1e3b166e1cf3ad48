// GeneCIS (Vaze et al., CVPR 2023) in its published layout (facebookresearch/genecis):
//   <root>/genecis/{focus_attribute,change_attribute,focus_object,change_object}.json
//     [{reference, target, gallery:[...], condition}]  — attribute tasks: {image_id, instance_bbox:[x,y,w,h]} on
//     Visual Genome images, cropped around the box (dilated by 0.7, padded to a square, as the official loader);
//     object tasks: {val_image_id} (or image_id / filepath) on COCO val2017 images.
//   Visual Genome images: <root>/VG_100K/<image_id>.jpg (also vg/VG_100K, VG_100K_2); COCO: <root>/val2017/<12-digit id>.jpg
// Each query ranks its own small gallery ([target, ...gallery]). Columns as in the paper: R@1/2/3 per task,
// and the average R@1 over the four tasks.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { hitAtK, mean } from '../metrics.js';
import { dot } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, firstExisting, limited, pct, queryVectors, galleryMatrix, type Mode, type ResultTable, type RunOptions } from './common.js';

export const GENECIS_TASKS = ['focus_attribute', 'change_attribute', 'focus_object', 'change_object'] as const;

export interface GenecisItem { image_id?: number | string; val_image_id?: number | string; instance_bbox?: number[]; filepath?: string }
interface GenecisSample { reference: GenecisItem; target: GenecisItem; gallery: GenecisItem[]; condition: string }

const DILATION = 0.7;

/** The official VAW crop: box dilated by 0.7 of its size (clamped to the image), then padded to a black square. */
export async function cropInstance(file: string, bbox: readonly number[]): Promise<Buffer> {
  const meta = await sharp(file).metadata();
  const W = meta.width ?? 0;
  const H = meta.height ?? 0;
  const [x = 0, y = 0, w = W, h = H] = bbox;
  const left = Math.max(0, x - DILATION * w);
  const top = Math.max(0, y - DILATION * h);
  const right = Math.min(W, left + (1 + DILATION) * w);
  const bottom = Math.min(H, top + (1 + DILATION) * h);
  const L = Math.floor(left);
  const T = Math.floor(top);
  const cw = Math.max(1, Math.min(W - L, Math.round(right - L)));
  const ch = Math.max(1, Math.min(H - T, Math.round(bottom - T)));
  const side = Math.max(cw, ch);
  const padX = side - cw;
  const padY = side - ch;
  return sharp(file).extract({ left: L, top: T, width: cw, height: ch })
    .extend({ left: Math.floor(padX / 2), right: padX - Math.floor(padX / 2), top: Math.floor(padY / 2), bottom: padY - Math.floor(padY / 2), background: { r: 0, g: 0, b: 0 } })
    .png().toBuffer();
}

export async function runGenecis(opts: RunOptions & { vgDir?: string; cocoDir?: string }): Promise<ResultTable> {
  const modes: Mode[] = opts.modes ?? ALL_MODES;
  const tasks = GENECIS_TASKS.filter((t) => fs.existsSync(path.join(opts.root, 'genecis', `${t}.json`)));
  if (tasks.length === 0) throw new DatasetError(`GeneCIS: no genecis/<task>.json under ${opts.root}`);
  const D = opts.model.dim;
  const vgDirs = opts.vgDir ? [opts.vgDir] : ['VG_100K', 'VG_100K_2', 'vg/VG_100K', 'vg/VG_100K_2', 'visual_genome'].map((d) => path.join(opts.root, d));
  const cocoDirs = opts.cocoDir ? [opts.cocoDir] : ['val2017', 'coco/val2017', 'coco2017/val2017'].map((d) => path.join(opts.root, d));
  const keyOf = (it: GenecisItem): string => {
    if (it.instance_bbox && it.image_id !== undefined) return `vg:${it.image_id}:${it.instance_bbox.join(',')}`;
    const id = it.val_image_id ?? it.image_id;
    if (id !== undefined) return `coco:${id}`;
    if (it.filepath) return `coco-file:${path.basename(it.filepath)}`;
    throw new DatasetError('GeneCIS: an item has neither image_id+instance_bbox, val_image_id nor filepath');
  };
  const inputOf = async (key: string): Promise<string | Buffer> => {
    const [kind, a, b] = key.split(':') as [string, string, string | undefined];
    if (kind === 'vg') return cropInstance(firstExisting(vgDirs.map((d) => path.join(d, `${a}.jpg`)), 'GeneCIS Visual Genome image'), (b ?? '').split(',').map(Number));
    if (kind === 'coco') return firstExisting(cocoDirs.flatMap((d) => [path.join(d, `${String(a).padStart(12, '0')}.jpg`), path.join(d, `${a}.jpg`)]), 'GeneCIS COCO image');
    return firstExisting(cocoDirs.map((d) => path.join(d, a)), 'GeneCIS COCO image');
  };
  const perMode = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  let totalQ = 0;
  for (const task of tasks) {
    const raw = JSON.parse(fs.readFileSync(path.join(opts.root, 'genecis', `${task}.json`), 'utf8')) as GenecisSample[];
    const samples = limited(raw, opts.limit);
    totalQ += samples.length;
    const keys = samples.flatMap((s) => [s.reference, s.target, ...s.gallery].map(keyOf));
    const enc = await encodeDistinct(opts.model, keys, inputOf, opts.log, `GeneCIS ${task}`);
    for (const mode of modes) {
      const q = await queryVectors(mode, opts.model, enc.enc, samples.map((s) => enc.rowOf.get(keyOf(s.reference)) as number), samples.map((s) => s.condition));
      const gm = galleryMatrix(mode, enc.enc);
      const hits: number[][] = [[], [], []];
      samples.forEach((s, i) => {
        const qi = q.subarray(i * D, (i + 1) * D);
        // By construction the target is candidate 0; ties keep it first only if it really scores at least as high
        const cands = [s.target, ...s.gallery].map((it, j) => ({ j, s: dot(qi, gm, (enc.rowOf.get(keyOf(it)) as number) * D) }));
        const ranked = cands.sort((a, b) => b.s - a.s || a.j - b.j).map((c) => c.j);
        for (let k = 1; k <= 3; k++) hits[k - 1]!.push(hitAtK(ranked, [0], k));
      });
      perMode.get(mode)!.push(...hits.map((h) => pct(mean(h))));
    }
  }
  const columns = [...tasks.flatMap((t) => [`${t} R@1`, `${t} R@2`, `${t} R@3`]), 'Avg R@1'];
  const rows = modes.map((m) => {
    const v = perMode.get(m)!;
    return { label: MODE_LABEL[m], values: [...v, Math.round(mean(v.filter((_, i) => i % 3 === 0)) * 100) / 100] };
  });
  return { dataset: 'genecis', title: `GeneCIS (${totalQ} queries over ${tasks.length} tasks)`, columns, rows, queries: totalQ, gallery: 0, notes: ['each query ranks its own gallery (target + distractors); attribute crops as the official loader'] };
}
