"""Build the demo model from nothing: synthetic world -> vocabulary -> CLIP stage -> MagicLens stage ->
official checkpoint (+ held-out metrics). `npm run train:demo` runs this and then converts the checkpoint
into models/packs/demo with the TypeScript converter.

Deterministic: fixed seeds, one thread, deterministic algorithms; the same machine gives the same bytes.
"""
import os

# Before torch loads: one BLAS/OpenMP thread, so reductions happen in one fixed order.
for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_v] = '1'

import argparse
import dataclasses
import hashlib
import json
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from magiclens_torch import instructions as ins  # noqa: E402
from magiclens_torch.checkpoint import save_checkpoint  # noqa: E402
from magiclens_torch.config import CONFIGS  # noqa: E402
from magiclens_torch.data import build_split, caption_pairs  # noqa: E402
from magiclens_torch.evaluate import evaluate  # noqa: E402
from magiclens_torch.model import MagicLens  # noqa: E402
from magiclens_torch.tokenizer import Tokenizer, learn_bpe, write_merges  # noqa: E402
from magiclens_torch.train import ClipStage, MagicLensStage, attribute_accuracy, train_clip, train_magiclens  # noqa: E402
from magiclens_torch.world import (BG_PHRASES, BRANDS, COLOURS, PLURAL, PRODUCTS, SET_NAME, SHAPES,  # noqa: E402
                                   STYLE_PHRASES, caption, make_world)

WORLD_SEED = 20240601
SIZES = {'train': 3000, 'val': 300, 'test': 300}


def corpus(world, train_split) -> list:
    """Texts the vocabulary is learned from: everything the world and the instruction writer can say."""
    texts = [p.alt for pg in world['train'] for p in pg.pictures] + [pg.title for pg in world['train']]
    texts += [t[1] for t in train_split.triplets]
    words = list(SHAPES) + list(PLURAL.values()) + list(COLOURS) + BRANDS + PRODUCTS + list(SET_NAME.values())
    words += [p for v in BG_PHRASES.values() for p in v] + [p for v in STYLE_PHRASES.values() for p in v]
    for table in (ins._COLOUR, ins._SET):
        words += table
    for table in (ins._COUNT, ins._SIZE, ins._STYLE, ins._BG):
        words += [p for v in table.values() for p in v]
    return texts + words


def _override(obj, spec: str):
    """A copy of a dataclass with "k=v,k=v" overrides (experiments; the defaults are the shipped recipe)."""
    kw = {}
    for kv in filter(None, spec.split(',')):
        k, v = kv.split('=')
        cur = getattr(obj, k)
        kw[k] = (v in ('1', 'true', 'True')) if isinstance(cur, bool) else type(cur)(float(v) if '.' in v or 'e' in v else int(v))
    return dataclasses.replace(obj, **kw)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--out', required=True, help='folder for demo_checkpoint.pkl, vocab.txt.gz, metrics.json')
    ap.add_argument('--no-query-negatives', action='store_true', help='ablation: train without query negatives')
    ap.add_argument('--clip-from', help='reuse the CLIP stage and world data of an earlier run (its --out folder)')
    ap.add_argument('--scale', type=float, default=1.0, help='fraction of the world to use (quick runs)')
    ap.add_argument('--clip-epochs', type=int, default=None)
    ap.add_argument('--ml-epochs', type=int, default=None)
    ap.add_argument('--ml', default='', help='MagicLens-stage overrides for experiments, e.g. "batch=512,lr_new=5e-4"')
    ap.add_argument('--clip', default='', help='CLIP-stage overrides for experiments, e.g. "epochs=16,lr=1e-3"')
    ap.add_argument('--arch', default='', help='demo-config overrides for experiments, e.g. "image_size=96,patch_size=16"')
    ap.add_argument('--val-only', action='store_true', help='sweeps: compute no test-split metric at all')
    ap.add_argument('--world-from', help='reuse only the rendered splits of an earlier run with the same image size')
    args = ap.parse_args(argv)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, 'train.log')
    logf = open(log_path, 'w')

    def log(msg):
        print(msg, flush=True)
        logf.write(msg + '\n')
        logf.flush()

    t_start = time.time()
    n = {k: max(4, int(v * args.scale)) for k, v in SIZES.items()}
    world = make_world(WORLD_SEED, n['train'], n['val'], n['test'])
    cfg = _override(CONFIGS['demo'], args.arch)
    reuse = args.clip_from or args.world_from
    cached = os.path.join(reuse, 'splits.pt') if reuse else None
    if cached and os.path.exists(cached):  # the world is deterministic: reuse the rendered splits
        train, val, test = torch.load(cached)
    else:
        train = build_split(world['train'], WORLD_SEED, cfg.image_size, ins.TemplateWriter(1), mining_seed=11)
        val = build_split(world['val'], WORLD_SEED, cfg.image_size, ins.TemplateWriter(2), mining_seed=12)
        test = build_split(world['test'], WORLD_SEED, cfg.image_size, ins.TemplateWriter(3), mining_seed=13)
        torch.save((train, val, test), cached or os.path.join(args.out, 'splits.pt'))
    log(f'world: {n} pages; train {len(train.pictures)} pictures / {len(train.triplets)} triplets '
        f'(mining {dataclasses.asdict(train.stats)}); val {len(val.triplets)}; test {len(test.triplets)} '
        f'[{time.time() - t_start:.0f}s]')

    vocab_path = os.path.join(args.out, 'vocab.txt.gz')
    merges = learn_bpe(corpus(world, train), max_merges=1000)
    write_merges(merges, vocab_path)
    tok = Tokenizer.from_file(vocab_path)
    cfg = dataclasses.replace(cfg, vocab_size=tok.size)
    log(f'vocabulary: {len(merges)} merges, {tok.size} tokens')

    gen = torch.Generator().manual_seed(1234)
    model = MagicLens(cfg, seed=0)
    clip_cfg = ClipStage()
    if args.clip_epochs is not None:
        clip_cfg.epochs = args.clip_epochs
    clip_cfg = _override(clip_cfg, args.clip)
    if args.clip_from:
        model.load_state_dict(torch.load(os.path.join(args.clip_from, 'clip_stage.pt')))
        log(f'CLIP stage: loaded {args.clip_from}')
    else:
        t0 = time.time()
        pairs = caption_pairs(train, np.random.default_rng(5))
        log(f'CLIP stage: {len(pairs)} image-caption pairs, {clip_cfg}')
        heads = train_clip(model, tok, train, pairs, clip_cfg, gen, log)
        torch.save(model.state_dict(), os.path.join(args.out, 'clip_stage.pt'))
        log(f'CLIP stage done in {time.time() - t0:.0f}s')
        # Validation only: which attributes the image tower sees (the heads are discarded afterwards).
        log(f'attribute-head accuracy, val items: {json.dumps(attribute_accuracy(model, heads, val))}')
    # A sweep (--val-only) never computes a test figure: settings are compared on validation alone.
    before = None if args.val_only else evaluate(model, tok, test)
    if before is not None:
        log(f'after CLIP stage (fusion untrained), test: {json.dumps(before)}')

    ml_cfg = MagicLensStage(query_negatives=not args.no_query_negatives)
    if args.ml_epochs is not None:
        ml_cfg.max_epochs = args.ml_epochs
    ml_cfg = _override(ml_cfg, args.ml)
    t0 = time.time()
    log(f'MagicLens stage: {ml_cfg}')
    # Its own generator, so that a run reusing the CLIP stage (--clip-from) trains exactly as a full run.
    ml_gen = torch.Generator().manual_seed(4321)
    info = train_magiclens(model, tok, train, val, ml_cfg, ml_gen, caption_pairs(train, np.random.default_rng(6)), log)
    log(f'MagicLens stage done in {time.time() - t0:.0f}s: {info}')
    val_metrics = evaluate(model, tok, val)
    log(f'val (best epoch): {json.dumps(val_metrics)}')
    metrics = None if args.val_only else evaluate(model, tok, test)
    log(f'test ({"with" if ml_cfg.query_negatives else "without"} query negatives): {json.dumps(metrics)}')

    ckpt = os.path.join(args.out, 'demo_checkpoint.pkl')
    save_checkpoint(model.flat_params(), ckpt)
    with open(ckpt, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    result = {'query_negatives': ml_cfg.query_negatives, 'val': val_metrics, 'test': metrics, 'after_clip_stage': before,
              'train': info, 'checkpoint_sha256': sha, 'seconds': round(time.time() - t_start),
              'config': cfg.to_dict(), 'world': {'seed': WORLD_SEED, 'pages': n}}
    with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
        json.dump(result, f, indent=1)
    log(f'checkpoint {ckpt} sha256 {sha}; total {time.time() - t_start:.0f}s')


if __name__ == '__main__':
    main()
