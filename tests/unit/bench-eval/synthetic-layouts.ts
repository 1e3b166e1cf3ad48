// Tiny synthetic copies of the public benchmarks, in their published folder layouts, for testing the runners'
// plumbing. Each query's target (or one ground truth) is a byte-identical copy of its reference image under another
// name, so image similarity must rank it first whatever the model: a wrong id mapping, a missed reference
// exclusion or a mixed-up gallery shows up as a figure below 100.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

let seed = 1;
function rand(): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
}

/** A random-noise image: distinct content per call. */
export async function noiseImage(file: string, size = 24, format: 'png' | 'jpg' = 'png'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const px = Buffer.alloc(size * size * 3);
  const base = [rand() * 255, rand() * 255, rand() * 255];
  for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, (base[i % 3] as number) + (rand() - 0.5) * 160));
  const img = sharp(px, { raw: { width: size, height: size, channels: 3 } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 90 })).toFile(file);
}

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

const json = (file: string, v: unknown) => { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, JSON.stringify(v, null, 1)); };

export async function makeCirr(root: string, nQueries = 4): Promise<void> {
  const split: Record<string, string> = {};
  const triplets = [];
  for (let q = 0; q < nQueries; q++) {
    const names = Array.from({ length: 6 }, (_, i) => `dev-${q}-${i}-img${i}`);
    for (const n of names) split[n] = `./dev/${n}.png`;
    for (const n of names.slice(1)) await noiseImage(path.join(root, 'dev', `${n}.png`));
    // reference = member 0; target (member 3) is a byte copy of the reference
    await noiseImage(path.join(root, 'dev', `${names[0]}.png`));
    copy(path.join(root, 'dev', `${names[0]}.png`), path.join(root, 'dev', `${names[3]}.png`));
    triplets.push({ pairid: q, reference: names[0], target_hard: names[3], target_soft: { [names[3] as string]: 1.0 }, caption: 'make it brighter', img_set: { id: q, members: names } });
  }
  json(path.join(root, 'cirr', 'captions', 'cap.rc2.val.json'), triplets);
  json(path.join(root, 'cirr', 'image_splits', 'split.rc2.val.json'), split);
}

export async function makeCirco(root: string, nQueries = 3): Promise<void> {
  const images: { id: number; file_name: string }[] = [];
  const dir = path.join(root, 'COCO2017_unlabeled', 'unlabeled2017');
  let id = 100;
  const queries = [];
  for (let q = 0; q < nQueries; q++) {
    const ref = id++;
    const gts = [id++, id++];
    for (const i of [ref, ...gts, id++, id++]) {
      images.push({ id: i, file_name: `${String(i).padStart(12, '0')}.jpg` });
    }
    for (const im of images.slice(-5)) await noiseImage(path.join(dir, im.file_name), 24, 'jpg');
    // first ground truth = a copy of the reference
    copy(path.join(dir, `${String(ref).padStart(12, '0')}.jpg`), path.join(dir, `${String(gts[0]).padStart(12, '0')}.jpg`));
    queries.push({ id: q, reference_img_id: ref, target_img_id: gts[0], relative_caption: 'is on a beach', shared_concept: 'a thing', gt_img_ids: gts, semantic_aspects: ['addition'] });
  }
  json(path.join(root, 'COCO2017_unlabeled', 'annotations', 'image_info_unlabeled2017.json'), { images });
  json(path.join(root, 'annotations', 'val.json'), queries);
}

export async function makeFashionIQ(root: string, nPerCat = 3): Promise<void> {
  for (const cat of ['dress', 'shirt', 'toptee']) {
    const gallery: string[] = [];
    const triplets = [];
    for (let q = 0; q < nPerCat; q++) {
      const cand = `${cat}C${q}`;
      const target = `${cat}T${q}`;
      await noiseImage(path.join(root, 'images', `${cand}.png`));
      copy(path.join(root, 'images', `${cand}.png`), path.join(root, 'images', `${target}.png`));
      const other = `${cat}O${q}`;
      await noiseImage(path.join(root, 'images', `${other}.png`));
      gallery.push(target, other); // the candidate itself is not in the gallery split (as often in FashionIQ)
      triplets.push({ candidate: cand, target, captions: ['is red.', 'has short sleeves?'] });
    }
    json(path.join(root, 'captions', `cap.${cat}.val.json`), triplets);
    json(path.join(root, 'image_splits', `split.${cat}.val.json`), gallery);
  }
}

export async function makeDtin(root: string, nClasses = 2): Promise<void> {
  const domains = ['cartoon', 'origami', 'toy', 'sculpture'];
  const q: string[] = [];
  const t: string[] = [];
  for (let c = 0; c < nClasses; c++) {
    const wnid = `n0000000${c}`;
    const real = `imgnet/real/${wnid}/ILSVRC2012_val_0000000${c}.JPEG`;
    await noiseImage(path.join(root, real), 24, 'jpg');
    q.push(`${real} ${c} `);
    domains.forEach((d, di) => {
      const copyRel = `imgnet/imagenet-r/${wnid}/${d}_0.jpg`;
      copy(path.join(root, real), path.join(root, copyRel));
      t.push(`${copyRel} ${di * 1000 + c} `);
    });
    for (const [di, d] of domains.entries()) {
      const rel = `imgnet/imagenet-r/${wnid}/${d}_1.jpg`;
      await noiseImage(path.join(root, rel), 24, 'jpg');
      t.push(`${rel} ${di * 1000 + c} `);
    }
  }
  fs.writeFileSync(path.join(root, 'imgnet', 'imgnet_real_query.txt'), q.join('\n') + '\n');
  fs.writeFileSync(path.join(root, 'imgnet', 'imgnet_targets.txt'), t.join('\n') + '\n');
}

export async function makeGenecis(root: string, nPerTask = 2): Promise<void> {
  let vg = 1;
  let coco = 1;
  for (const task of ['focus_attribute', 'change_attribute', 'focus_object', 'change_object']) {
    const samples = [];
    for (let s = 0; s < nPerTask; s++) {
      if (task.endsWith('attribute')) {
        // one 64×64 Visual Genome image per item; the box covers its middle
        const items = [];
        const refId = vg++;
        await noiseImage(path.join(root, 'VG_100K', `${refId}.jpg`), 64, 'jpg');
        const tgtId = vg++;
        copy(path.join(root, 'VG_100K', `${refId}.jpg`), path.join(root, 'VG_100K', `${tgtId}.jpg`));
        for (let g = 0; g < 3; g++) { const id = vg++; await noiseImage(path.join(root, 'VG_100K', `${id}.jpg`), 64, 'jpg'); items.push(id); }
        const box = [16, 20, 30, 24];
        samples.push({ reference: { image_id: refId, instance_bbox: box, object_name: 'shirt' }, target: { image_id: tgtId, instance_bbox: box, object_name: 'shirt' }, gallery: items.map((id) => ({ image_id: id, instance_bbox: box, object_name: 'shirt' })), condition: 'color' });
      } else {
        const refId = coco++;
        const f = (id: number) => path.join(root, 'val2017', `${String(id).padStart(12, '0')}.jpg`);
        await noiseImage(f(refId), 24, 'jpg');
        const tgtId = coco++;
        copy(f(refId), f(tgtId));
        const gal = [];
        for (let g = 0; g < 3; g++) { const id = coco++; await noiseImage(f(id), 24, 'jpg'); gal.push({ val_image_id: id }); }
        samples.push({ reference: { val_image_id: refId }, target: { val_image_id: tgtId }, gallery: gal, condition: 'bus' });
      }
    }
    json(path.join(root, 'genecis', `${task}.json`), samples);
  }
}

export async function makeSketch(root: string, classes = ['cat', 'cup', 'zebra'], photosPerClass = 3): Promise<void> {
  for (const cls of classes) {
    const sk = path.join(root, 'sketch', 'tx_000000000000', cls, `${cls}-s1.png`);
    await noiseImage(sk);
    // every photo of the class is a copy of its sketch: relevant items all score exactly the same
    for (let i = 0; i < photosPerClass; i++) copy(sk, path.join(root, 'extended_photo', cls, `${cls}_${i}.png`));
  }
  // a class outside the zero-shot split, which must be ignored
  await noiseImage(path.join(root, 'sketch', 'tx_000000000000', 'train-only', 'x.png'));
  await noiseImage(path.join(root, 'extended_photo', 'train-only', 'x.png'));
  fs.mkdirSync(path.join(root, 'zeroshot1'), { recursive: true });
  fs.writeFileSync(path.join(root, 'zeroshot1', 'cname_cid_zero.txt'), classes.map((c, i) => `${c} ${i}`).join('\n') + '\n');
}

/** labels.csv + images/<id>.jpg like the fashion product collection: types × colours × items. */
export async function makeFashion(root: string, types = ['Shirts', 'Tshirts', 'Watches'], colours = ['Black', 'Navy Blue', 'Red'], perGroup = 5): Promise<void> {
  const lines = ['id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName'];
  let id = 1000;
  for (const t of types) for (const c of colours) for (let i = 0; i < perGroup; i++) {
    id++;
    await noiseImage(path.join(root, 'images', `${id}.jpg`), 24, 'jpg');
    lines.push(`${id},Men,Apparel,Topwear,${t},${c},Fall,2011,Casual,Brand ${id} Men ${c} ${t}`);
  }
  fs.writeFileSync(path.join(root, 'labels.csv'), lines.join('\n') + '\n');
}

/** make_heldout.py's layout: every query's first positive is a copy of the query photo under another name. */
export async function makeHeldOut(root: string, nQueries = 4): Promise<void> {
  const photos: { file: string }[] = [];
  const queries = [];
  for (let q = 0; q < nQueries; q++) {
    const query = `p${q}-q.png`;
    const pos = `p${q}-t.png`;
    await noiseImage(path.join(root, query));
    copy(path.join(root, query), path.join(root, pos));
    const other = `p${q}-o.png`;
    await noiseImage(path.join(root, other));
    photos.push({ file: query }, { file: pos }, { file: other });
    queries.push({ query, instruction: 'the same in red', target: pos, positives: [pos] });
  }
  json(path.join(root, 'queries.json'), { world_seed: 1, pages: nQueries, photos, queries });
}
