"""Evaluate a checkpoint on held-out pages of the demo world (the metrics train_demo.py prints).

usage: /usr/bin/python3 models/python/eval_checkpoint.py CHECKPOINT VOCAB [--pages N]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from magiclens_torch.checkpoint import load_checkpoint  # noqa: E402
from magiclens_torch.config import config_from_params  # noqa: E402
from magiclens_torch.data import build_split  # noqa: E402
from magiclens_torch.evaluate import evaluate  # noqa: E402
from magiclens_torch.instructions import TemplateWriter  # noqa: E402
from magiclens_torch.model import MagicLens  # noqa: E402
from magiclens_torch.tokenizer import Tokenizer  # noqa: E402
from magiclens_torch.world import make_page  # noqa: E402
from train_demo import WORLD_SEED  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('checkpoint')
    ap.add_argument('vocab')
    ap.add_argument('--pages', type=int, default=24, help='first N test pages (24 = the integration test set)')
    ap.add_argument('--split', default='test', choices=['train', 'val', 'test'])
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    params = load_checkpoint(args.checkpoint)
    model = MagicLens(config_from_params(params), {k: torch.from_numpy(v) for k, v in params.items()})
    tok = Tokenizer.from_file(args.vocab)
    pages = [make_page(WORLD_SEED, i, args.split) for i in range(args.pages)]
    split = build_split(pages, WORLD_SEED, model.config.image_size, TemplateWriter(3), mining_seed=13)
    print(json.dumps(evaluate(model, tok, split)))


if __name__ == '__main__':
    main()
