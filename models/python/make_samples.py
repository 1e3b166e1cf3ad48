"""Render the sample library of the demo world (the photos "Try it on sample photos" adds) and the
candidate suggested searches. The pages come from the world's own 'sample' split: a seed stream no
training, validation or test page is drawn from, so none of these pictures was trained on or used to
choose anything. Every picture is a pure function of (world seed, picture id): re-running writes the
same bytes with the same PIL/libjpeg build.

Only 'item' pictures are kept (no near-duplicate uploads, no advertisement banners: a sample library
should look like a library). Candidates are within-page (query, target) pairs of three relations the
demo model was taught — a colour change to blue, the set partner, a count of two — each with a few
wordings; models/samples/make-samples.ts indexes the photos with the bundled pack through the app's
service and keeps, per relation, the first candidate whose expected photo comes first.

usage: /usr/bin/python3 models/python/make_samples.py OUT_DIR [--pages N]
"""
import argparse
import json
import os
import sys

from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from magiclens_torch.instructions import changed  # noqa: E402
from magiclens_torch.world import PARTNER, caption, make_page, render_picture  # noqa: E402
from train_demo import WORLD_SEED  # noqa: E402

# Wordings per relation, the phrasing first; the picker keeps the first one that works.
KINDS = {
    'colour': {'title': 'The same shape in blue', 'wordings': ['the same shape in blue', 'in blue instead', 'the blue version', 'make it blue']},
    'set': {'title': 'Complete the set', 'wordings': ['complete the set', 'what goes with it', 'find its partner']},
    'count': {'title': 'Two of them', 'wordings': ['two of them', 'a pair of these', 'make it two']},
}


def relation(q, t):
    diff = changed(q, t)
    if diff == ['colour'] and t.colour == 'blue':
        return 'colour'
    if diff == ['shape'] and PARTNER[q.shape] == t.shape:
        return 'set'
    if diff == ['count'] and t.count == 2 and q.count == 1:
        return 'count'
    return None


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--pages', type=int, default=120)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    photos, candidates = [], []
    for i in range(args.pages):
        page = make_page(WORLD_SEED, i, 'sample')
        items = [p for p in page.pictures if p.role == 'item']
        for p in items:
            # JPEG, as a camera writes: the renders' noise makes a PNG ~70 kB, a JPEG at quality 90
            # without chroma subsampling ~13 kB, so a few hundred photos stay under 5 MB.
            Image.fromarray(render_picture(p, WORLD_SEED)).save(os.path.join(args.out, f'{p.id}.jpg'), quality=90, subsampling=0, optimize=True)
            photos.append({'file': f'{p.id}.jpg', 'key': list(p.obj.key()), 'caption': caption(p.obj, 0)})
        for q in items:
            for t in items:
                kind = relation(q.obj, t.obj) if q is not t else None
                if kind:
                    candidates.append({'kind': kind, 'query': f'{q.id}.jpg', 'target': f'{t.id}.jpg', 'key': list(t.obj.key())})
    for c in candidates:
        c['positives'] = [p['file'] for p in photos if p['key'] == c['key']]
        del c['key']
    with open(os.path.join(args.out, 'candidates.json'), 'w') as f:
        json.dump({'world_seed': WORLD_SEED, 'split': 'sample', 'pages': args.pages, 'kinds': KINDS,
                   'photos': photos, 'candidates': candidates}, f, indent=1)
    print(f'{len(photos)} photos, {len(candidates)} candidate searches in {args.out}')


if __name__ == '__main__':
    main()
