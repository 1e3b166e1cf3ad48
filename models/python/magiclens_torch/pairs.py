"""Extra MagicLens-stage data from the world's labels (a deviation from the paper's page mining, for a
model trained in minutes; see models/README.md):

- `label_triplets`: pairs across pages. For a training picture, another training picture whose attributes
  differ by one or two of colour/count/size/style/background, or that shows its set partner, is a
  (query, target) pair; the same TemplateWriter writes the instruction. Mined pairs stay in the data.
- `Siblings`: hard negatives. For a target, training pictures that differ from it in exactly one
  attribute (the near misses a ranking has to beat: a page's other variants look like that).

Both draw from seeded generators over sorted keys, so a run is reproducible.
"""
from dataclasses import dataclass, replace
from typing import Dict, List, Optional

import numpy as np

from .instructions import TemplateWriter
from .world import ATTRS, PARTNER, Obj, _values

EDITABLE = ('colour', 'count', 'size', 'style', 'background')


@dataclass
class _Pic:
    obj: Obj


@dataclass
class _Pair:  # the fields TemplateWriter.write reads from a MinedPair
    query: _Pic
    target: _Pic


def _rows_by_key(split) -> Dict[tuple, List[int]]:
    out: Dict[tuple, List[int]] = {}
    for i, p in enumerate(split.pictures):
        if p.obj is not None and p.role == 'item':
            out.setdefault(p.obj.key(), []).append(i)
    return out


def _neighbours(o: Obj) -> List[Obj]:
    """Objects one edit away (one or two attributes, or the set partner), in a fixed order."""
    out = [replace(o, shape=PARTNER[o.shape])]
    for a in EDITABLE:
        out += [replace(o, **{a: v}) for v in _values(a) if v != getattr(o, a)]
    for i, a in enumerate(EDITABLE):
        for b in EDITABLE[i + 1:]:
            out += [replace(o, **{a: va, b: vb}) for va in _values(a) if va != getattr(o, a)
                    for vb in _values(b) if vb != getattr(o, b)]
    return out


def label_triplets(split, per_picture: int, seed: int) -> List[tuple]:
    """Up to `per_picture` (query row, instruction, target row) per training item picture."""
    rng = np.random.default_rng(seed)
    writer = TemplateWriter(seed)
    by_key = _rows_by_key(split)
    out = []
    for key in sorted(by_key):
        o = split.pictures[by_key[key][0]].obj
        cands = [n for n in _neighbours(o) if n.key() in by_key]
        for q in by_key[key]:
            for k in rng.permutation(len(cands))[:per_picture]:
                t = cands[int(k)]
                rows = by_key[t.key()]
                text = writer.write(_Pair(_Pic(o), _Pic(t)))
                if text:
                    out.append((q, text, rows[int(rng.integers(len(rows)))]))
    return out


class Siblings:
    """Training pictures one attribute away from a given picture's attributes."""

    def __init__(self, split):
        by_key = _rows_by_key(split)
        self.rows: List[List[int]] = []
        for p in split.pictures:
            sib: List[int] = []
            if p.obj is not None:
                for a in ATTRS:
                    for v in _values(a):
                        if v != getattr(p.obj, a):
                            sib += by_key.get(replace(p.obj, **{a: v}).key(), [])
            self.rows.append(sib)

    def sample(self, targets: List[int], n: int, rng: np.random.Generator) -> Optional[List[int]]:
        out = []
        for t in targets:
            s = self.rows[t]
            out += [s[int(k)] for k in rng.integers(len(s), size=n)] if s else []
        return out
