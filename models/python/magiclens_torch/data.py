"""Turns the synthetic world into training tensors: pictures -> model inputs through the exact app
pipeline (per-image max scaling, squash to 224 with jax's antialiased bilinear, resize to model size,
CLIP mean/std), captions for the CLIP stage, mined + written triplets for the MagicLens stage."""
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np
import torch

from .instructions import InstructionWriter
from .mining import MinedPair, MiningStats, mine_pairs
from .preprocess import model_input
from .world import Page, Picture, caption, render_picture


@dataclass
class Split:
    pages: List[Page]
    pictures: List[Picture]
    pixels: torch.Tensor                     # [N,S,S,3] model inputs
    index: Dict[str, int]                    # picture id -> row
    triplets: List[tuple] = field(default_factory=list)  # (query row, instruction, target row)
    stats: MiningStats = None
    key_ids: torch.Tensor = None             # [N] id of each picture's attribute tuple (-1 = banner)


def build_split(pages: List[Page], world_seed: int, image_size: int, writer: InstructionWriter,
                mining_seed: int) -> Split:
    pictures = [p for pg in pages for p in pg.pictures]
    raw = {}

    def image_of(p: Picture):
        if p.id not in raw:
            raw[p.id] = render_picture(p, world_seed)
        return raw[p.id]

    stats = MiningStats()
    pairs: List[MinedPair] = mine_pairs(pages, image_of, np.random.default_rng(mining_seed), stats)
    pixels = np.stack([model_input(image_of(p), image_size) for p in pictures])
    index = {p.id: i for i, p in enumerate(pictures)}
    triplets = []
    for pair in pairs:
        text = writer.write(pair)
        if text:
            triplets.append((index[pair.query.id], text, index[pair.target.id]))
    keys = sorted({p.obj.key() for p in pictures if p.obj is not None})
    kid = {k: i for i, k in enumerate(keys)}
    key_ids = torch.tensor([kid[p.obj.key()] if p.obj is not None else -1 - i for i, p in enumerate(pictures)])
    return Split(pages, pictures, torch.from_numpy(pixels), index, triplets, stats, key_ids)


def caption_pairs(split: Split, rng: np.random.Generator):
    """(row, caption) for every object picture; alt texts vary wording, canonical captions anchor eval."""
    out = []
    for i, p in enumerate(split.pictures):
        if p.obj is not None and p.role == 'item':
            out.append((i, p.alt))
            out.append((i, caption(p.obj, int(rng.integers(4)))))
    return out
