"""Triplet mining as in MagicLens section 3.1 / appendix A, over the synthetic world's pages.

Per page (group): drop near-duplicates (image-image cosine > 0.98), form ordered image pairs, keep
those that are relevant visually (image cosine >= 0.82) or textually (text cosine >= 0.9), keep at most
3 pairs per group, then write an instruction for each pair (instructions.py).

The similarity scores come from a deliberately simple feature model instead of CLIP (which we do not
have before training): an image is a 28x28 RGB thumbnail (block means of the rendered picture), centred
on mid-grey and L2-normalised; a text is a bag-of-words count vector over the alt text and page title.
"""
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

import numpy as np

from .world import Page, Picture

NEAR_DUPLICATE = 0.98
VISUAL_RELEVANCE = 0.82
TEXT_RELEVANCE = 0.9
MAX_PAIRS_PER_GROUP = 3


def image_feature(rgb: np.ndarray, grid: int = 28) -> np.ndarray:
    h, w, _ = rgb.shape
    x = rgb[:h - h % grid, :w - w % grid].astype(np.float64)
    x = x.reshape(grid, x.shape[0] // grid, grid, x.shape[1] // grid, 3).mean((1, 3))
    v = (x.ravel() - 128.0) / 128.0
    return v / (np.linalg.norm(v) + 1e-12)


def text_feature(text: str) -> Counter:
    return Counter(re.findall(r'[a-z]+', text.lower()))


def text_cosine(a: Counter, b: Counter) -> float:
    dot = sum(a[k] * b[k] for k in a)
    na = sum(v * v for v in a.values()) ** 0.5
    nb = sum(v * v for v in b.values()) ** 0.5
    return dot / (na * nb + 1e-12)


@dataclass
class MinedPair:
    page: Page
    query: Picture
    target: Picture
    visual_sim: float
    text_sim: float


@dataclass
class MiningStats:
    groups: int = 0
    pictures: int = 0
    near_duplicates: int = 0
    candidate_pairs: int = 0
    relevant_pairs: int = 0
    kept_pairs: int = 0


def mine_pairs(pages: List[Page], image_of: Callable[[Picture], np.ndarray], rng: np.random.Generator,
               stats: Optional[MiningStats] = None) -> List[MinedPair]:
    stats = stats if stats is not None else MiningStats()
    out = []
    for page in pages:
        stats.groups += 1
        feats, kept = [], []
        for p in page.pictures:
            stats.pictures += 1
            f = image_feature(image_of(p))
            if any(float(f @ g) > NEAR_DUPLICATE for g in feats):
                stats.near_duplicates += 1
                continue
            feats.append(f)
            kept.append(p)
        texts = [text_feature(f'{page.title} {p.alt}') for p in kept]
        cands = []
        for i, q in enumerate(kept):
            for j, t in enumerate(kept):
                if i == j:
                    continue
                stats.candidate_pairs += 1
                vs, ts = float(feats[i] @ feats[j]), text_cosine(texts[i], texts[j])
                if vs >= VISUAL_RELEVANCE or ts >= TEXT_RELEVANCE:
                    cands.append(MinedPair(page, q, t, vs, ts))
        stats.relevant_pairs += len(cands)
        order = rng.permutation(len(cands))
        chosen = [cands[k] for k in order[:MAX_PAIRS_PER_GROUP]]
        stats.kept_pairs += len(chosen)
        out.extend(chosen)
    return out
