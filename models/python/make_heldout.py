"""Write held-out synthetic photos (test pages of the demo world, never trained on) to a folder, plus
queries.json: the mined (query photo, instruction) pairs with every photo that counts as a correct
answer (same shape, colour, count, size, background and style as the target). Used by
tests/integration/demo-semantics.test.ts to search through the app's API.

usage: /usr/bin/python3 models/python/make_heldout.py OUT_DIR [--pages N] [--first I]

--first I takes test pages I .. I+N-1. Pages 0-299 are the held-out pages the training run reports and
the earlier settings were compared on; the tests use pages from 1000 on (the gate pages, models/README.md),
which nothing was ever selected on.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from magiclens_torch.instructions import TemplateWriter  # noqa: E402
from magiclens_torch.mining import mine_pairs  # noqa: E402
from magiclens_torch.world import caption, make_page, render_picture  # noqa: E402
from train_demo import WORLD_SEED  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--pages', type=int, default=24)
    ap.add_argument('--first', type=int, default=0)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    pages = [make_page(WORLD_SEED, args.first + i, 'test') for i in range(args.pages)]
    images = {}

    def image_of(p):
        if p.id not in images:
            images[p.id] = render_picture(p, WORLD_SEED)
        return images[p.id]

    photos = []
    for pg in pages:
        for p in pg.pictures:
            name = f'{p.id}.png'
            Image.fromarray(image_of(p)).save(os.path.join(args.out, name), optimize=False)
            photos.append({'file': name, 'key': list(p.obj.key()) if p.obj else None, 'role': p.role,
                           'caption': caption(p.obj, 0) if p.obj else None})
    writer = TemplateWriter(3)
    queries = []
    for pair in mine_pairs(pages, image_of, np.random.default_rng(13)):
        text = writer.write(pair)
        if not text:
            continue
        key = list(pair.target.obj.key())
        queries.append({'query': f'{pair.query.id}.png', 'instruction': text, 'target': f'{pair.target.id}.png',
                        'positives': [ph['file'] for ph in photos if ph['key'] == key]})
    with open(os.path.join(args.out, 'queries.json'), 'w') as f:
        json.dump({'world_seed': WORLD_SEED, 'first': args.first, 'pages': args.pages, 'photos': photos, 'queries': queries}, f, indent=1)
    print(f'{len(photos)} photos, {len(queries)} queries in {args.out}')


if __name__ == '__main__':
    main()
