// CIRCO (Baldrati et al., ICCV 2023) in its published layout:
//   <root>/annotations/val.json   [{id, reference_img_id, target_img_id, relative_caption, shared_concept, gt_img_ids}]
//   <root>/COCO2017_unlabeled/annotations/image_info_unlabeled2017.json  {images:[{id, file_name}]}
//   <root>/COCO2017_unlabeled/unlabeled2017/<file_name>
// Columns as in the paper: mAP@5/10/25/50 over all ground truths (CIRCO's AP@k, see ../metrics.ts).
import path from 'node:path';
import { averagePrecisionAtK, mean } from '../metrics.js';
import { rankIds } from '../rank.js';
import { ALL_MODES, DatasetError, MODE_LABEL, encodeDistinct, galleryMatrix, limited, mustExist, pct, queryVectors, readJson, type ResultTable, type RunOptions } from './common.js';

interface CircoQuery {
  id: number;
  reference_img_id: number;
  target_img_id?: number;
  relative_caption: string;
  shared_concept?: string;
  gt_img_ids?: number[];
}

export async function runCirco(opts: RunOptions): Promise<ResultTable> {
  const split = opts.split ?? 'val';
  const queries = limited(readJson<CircoQuery[]>(path.join(opts.root, 'annotations', `${split}.json`), 'CIRCO annotations'), opts.limit);
  if (queries.some((q) => !q.gt_img_ids || q.gt_img_ids.length === 0)) throw new DatasetError(`CIRCO ${split}: queries without gt_img_ids (the test split's ground truth is hidden; use val)`);
  const coco = path.join(opts.root, 'COCO2017_unlabeled');
  const info = readJson<{ images: { id: number; file_name: string }[] }>(path.join(coco, 'annotations', 'image_info_unlabeled2017.json'), 'CIRCO image info');
  const fileById = new Map(info.images.map((im) => [String(im.id), im.file_name]));
  const ids = [...fileById.keys()];
  const gallery = await encodeDistinct(opts.model, ids, (id) => mustExist(path.join(coco, 'unlabeled2017', fileById.get(id) as string), 'CIRCO image'), opts.log, 'CIRCO gallery');
  const refRows = queries.map((q) => {
    const r = gallery.rowOf.get(String(q.reference_img_id));
    if (r === undefined) throw new DatasetError(`CIRCO: reference image ${q.reference_img_id} is not in image_info_unlabeled2017.json`);
    return r;
  });
  const D = opts.model.dim;
  const ks = [5, 10, 25, 50];
  const rows = [];
  for (const mode of opts.modes ?? ALL_MODES) {
    const qv = await queryVectors(mode, opts.model, gallery.enc, refRows, queries.map((q) => q.relative_caption));
    const gm = galleryMatrix(mode, gallery.enc);
    const aps: number[][] = ks.map(() => []);
    queries.forEach((q, i) => {
      // The reference is never one of its own ground truths; leaving it in would only push the others down.
      const ranked = rankIds(gm, D, gallery.keys, qv.subarray(i * D, (i + 1) * D), 50, new Set([String(q.reference_img_id)]));
      const gts = (q.gt_img_ids as number[]).map(String);
      ks.forEach((k, j) => aps[j]!.push(averagePrecisionAtK(ranked, gts, k)));
    });
    rows.push({ label: MODE_LABEL[mode], values: aps.map((a) => pct(mean(a))) });
  }
  return { dataset: 'circo', title: `CIRCO ${split} (${queries.length} queries, ${ids.length} images)`, columns: ks.map((k) => `mAP@${k}`), rows, queries: queries.length, gallery: ids.length, notes: ['AP@k = Σ P@i·rel(i) / min(k, |ground truths|); reference image excluded from the ranking'] };
}
