// The dataset runners by name (what `npm run bench:quality -- --dataset NAME` accepts).
import { runCirco } from './circo.js';
import { runCirr } from './cirr.js';
import type { ResultTable, RunOptions } from './common.js';
import { runDtin } from './dtin.js';
import { runFashion } from './fashion.js';
import { runFashionIQ } from './fashioniq.js';
import { runGenecis } from './genecis.js';
import { runHeldOut } from './heldout.js';
import { runSketch } from './sketch.js';

export const DATASETS: Record<string, { run: (o: RunOptions & Record<string, unknown>) => Promise<ResultTable>; layout: string }> = {
  cirr: { run: runCirr, layout: 'cirr/captions/cap.rc2.val.json, cirr/image_splits/split.rc2.val.json, dev/*.png' },
  circo: { run: runCirco, layout: 'annotations/val.json, COCO2017_unlabeled/{annotations/image_info_unlabeled2017.json, unlabeled2017/}' },
  fashioniq: { run: runFashionIQ, layout: 'captions/cap.<cat>.val.json, image_splits/split.<cat>.val.json, images/<asin>.png' },
  dtin: { run: runDtin, layout: 'imgnet/imgnet_real_query.txt, imgnet/imgnet_targets.txt, imgnet/real/…, imgnet/imagenet-r/…' },
  genecis: { run: runGenecis, layout: 'genecis/<task>.json, VG_100K/<id>.jpg, val2017/<12-digit id>.jpg' },
  fashion: { run: runFashion, layout: 'labels.csv (id, articleType, baseColour, productDisplayName, …), images/<id>.jpg' },
  heldout: { run: runHeldOut, layout: 'queries.json + <file>.png (models/python/make_heldout.py OUT_DIR)' },
  sketch: { run: runSketch, layout: 'sketch/tx_000000000000/<class>/*, extended_photo/<class>/*, [zeroshot1/cname_cid_zero.txt]' },
};

export type { ResultTable, RunOptions } from './common.js';
