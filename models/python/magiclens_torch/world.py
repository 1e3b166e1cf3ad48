"""A deterministic synthetic world: rendered pictures of objects grouped into web-like "pages".

Every picture is a function of (world seed, image id) only, so any subset renders identically in any
order. Attributes: shape, colour, count, size, background, style (photo-like / sketch / cartoon) and a
layout/viewpoint (positions, rotation) that no caption mentions. Pages play the role of the web pages
the paper mines: each shows variants of one object (colour, count, size, style, scene, or two of them),
or a themed set whose members belong together only by convention (the beyond-visual relation), plus a
near-duplicate copy and an unrelated banner that mining must throw away.
"""
import hashlib
import math
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SHAPES = ['circle', 'square', 'triangle', 'star', 'heart', 'moon', 'cross', 'diamond']
PLURAL = {s: s + 's' for s in SHAPES}
PLURAL['cross'] = 'crosses'
COLOURS = {'red': (215, 35, 35), 'orange': (245, 135, 20), 'yellow': (240, 205, 25), 'green': (35, 165, 65),
           'blue': (35, 75, 215), 'purple': (135, 50, 185), 'pink': (245, 115, 180)}
BACKGROUNDS = ['white', 'sky', 'wood', 'sand', 'night']
STYLES = ['photo', 'sketch', 'cartoon']
COUNTS = [1, 2, 3]
SIZES = ['small', 'big']
# Convention of this world (not visible in any single picture): items sold together as a set.
PARTNER = {'star': 'moon', 'moon': 'star', 'heart': 'diamond', 'diamond': 'heart',
           'circle': 'cross', 'cross': 'circle', 'square': 'triangle', 'triangle': 'square'}
SET_NAME = {'star': 'night sky', 'moon': 'night sky', 'heart': 'sweetheart', 'diamond': 'sweetheart',
            'circle': 'button', 'cross': 'button', 'square': 'little house', 'triangle': 'little house'}
BRANDS = ['Zumo', 'Pico', 'Lumo', 'Tavi', 'Kori', 'Nela', 'Bram', 'Ossa', 'Velo', 'Mira', 'Quin', 'Rhea',
          'Soli', 'Tika', 'Urso', 'Wren', 'Yara', 'Dova', 'Fenn', 'Hale']
PRODUCTS = ['stickers', 'badges', 'prints', 'cards', 'magnets', 'tiles']
BG_PHRASES = {'white': ['on a white background', 'against a white wall'],
              'sky': ['in the sky', 'against a blue sky'],
              'wood': ['on a wooden table', 'on wood'],
              'sand': ['on the sand', 'on a sandy beach'],
              'night': ['at night', 'in the night sky']}
STYLE_PHRASES = {'photo': ['a photo of', 'a picture of'], 'sketch': ['a pencil sketch of', 'a sketch of'],
                 'cartoon': ['a cartoon of', 'a cartoon drawing of']}
COUNT_WORDS = {1: 'a', 2: 'two', 3: 'three'}
ATTRS = ('shape', 'colour', 'count', 'size', 'background', 'style')
RENDER_SIZE = 224


@dataclass(frozen=True)
class Obj:
    shape: str
    colour: str
    count: int
    size: str
    background: str
    style: str

    def key(self):
        return tuple(getattr(self, a) for a in ATTRS)


@dataclass
class Picture:
    id: str
    obj: Optional[Obj]          # None for a banner
    layout_seed: int
    alt: str = ''
    role: str = 'item'          # item | duplicate | banner


@dataclass
class Page:
    id: str
    kind: str
    title: str
    text: str
    pictures: List[Picture] = field(default_factory=list)


def _seed(*parts) -> int:
    return int.from_bytes(hashlib.sha256('/'.join(map(str, parts)).encode()).digest()[:8], 'little')


def caption(o: Obj, variant: int = 0) -> str:
    """Attribute caption; variant 0 is the canonical one used for text->image evaluation."""
    noun = o.shape if o.count == 1 else PLURAL[o.shape]
    return (f'{STYLE_PHRASES[o.style][variant % 2]} {COUNT_WORDS[o.count]} {o.size} {o.colour} {noun} '
            f'{BG_PHRASES[o.background][(variant // 2) % 2]}')


# ---- rendering ------------------------------------------------------------------------------------------

def _shape_mask(shape: str, cx: float, cy: float, r: float, rot: float, S: int) -> Image.Image:
    m = Image.new('L', (S, S), 0)
    d = ImageDraw.Draw(m)

    def poly(pts):
        c, s = math.cos(rot), math.sin(rot)
        d.polygon([(cx + r * (x * c - y * s), cy + r * (x * s + y * c)) for x, y in pts], fill=255)

    if shape == 'circle':
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    elif shape == 'square':
        poly([(-.8, -.8), (.8, -.8), (.8, .8), (-.8, .8)])
    elif shape == 'triangle':
        poly([(0, -1), (.95, .75), (-.95, .75)])
    elif shape == 'diamond':
        poly([(0, -1), (.62, 0), (0, 1), (-.62, 0)])
    elif shape == 'cross':
        a, b = .32, 1.0
        poly([(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a), (a, b), (-a, b), (-a, a), (-b, a), (-b, -a), (-a, -a)])
    elif shape == 'star':
        poly([((1.0 if i % 2 == 0 else .42) * math.sin(i * math.pi / 5), -(1.0 if i % 2 == 0 else .42) * math.cos(i * math.pi / 5))
              for i in range(10)])
    elif shape == 'heart':
        pts = []
        for i in range(40):
            t = 2 * math.pi * i / 40
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            pts.append((x / 17, -y / 17 + .1))
        poly(pts)
    elif shape == 'moon':
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        ox, oy = cx + .45 * r * math.cos(rot), cy - .45 * r * math.sin(rot) - .25 * r
        d.ellipse([ox - .85 * r, oy - .85 * r, ox + .85 * r, oy + .85 * r], fill=0)
    else:
        raise ValueError(f'unknown shape {shape}')
    return m


def _background(bg: str, style: str, rng: np.random.Generator, S: int) -> np.ndarray:
    y = np.linspace(0, 1, S)[:, None, None]
    x = np.linspace(0, 1, S)[None, :, None]
    if bg == 'white':
        img = np.array([236, 236, 230]) - 18 * y + 0 * x
    elif bg == 'sky':
        img = np.array([110, 170, 235]) * (1 - y) + np.array([185, 215, 245]) * y + 0 * x
    elif bg == 'wood':
        grain = np.sin((y * 9 + 0.15 * np.sin(x * 12 + rng.uniform(0, 6))) * 2 * np.pi * 3)
        img = np.array([140, 92, 52]) + 16 * grain + 0 * x
    elif bg == 'sand':
        img = np.array([226, 200, 150]) + rng.normal(0, 9, (S, S, 1)) + 0 * x + 0 * y
    elif bg == 'night':
        img = np.array([18, 22, 58]) + 25 * y + 0 * x
        img = np.broadcast_to(img, (S, S, 3)).copy()
        for _ in range(25):
            i, j = rng.integers(0, S, 2)
            img[i:i + 2, j:j + 2] = 230
    else:
        raise ValueError(f'unknown background {bg}')
    img = np.broadcast_to(img, (S, S, 3)).astype(np.float64)
    if style == 'cartoon':  # flat colours
        img = np.broadcast_to(img.mean((0, 1)), (S, S, 3)).copy()
    elif style == 'sketch':  # pale paper tinted by the scene
        img = 0.55 * img + 0.45 * np.array([245, 243, 236])
    return img


def _layout(o: Obj, rng: np.random.Generator, S: int):
    base = {1: .30, 2: .22, 3: .17}[o.count] * (1.0 if o.size == "big" else .65)
    r = base * S * rng.uniform(.93, 1.07)
    pts = []
    for _ in range(500):
        if len(pts) == o.count:
            break
        cx, cy = rng.uniform(r + 4, S - r - 4, 2)
        if all((cx - a) ** 2 + (cy - b) ** 2 > (2.05 * r) ** 2 for a, b in pts):
            pts.append((cx, cy))
    if len(pts) < o.count:  # fallback: a row, shrunk so that the objects never overlap (counts stay countable)
        r = min(r, S / (o.count + 1) / 2.1)
        pts = [(S * (k + 1) / (o.count + 1), S / 2) for k in range(o.count)]
    rot = rng.uniform(-.35, .35)
    return r, pts, rot


def render(p: Picture, world_seed: int, S: int = RENDER_SIZE) -> np.ndarray:
    """-> uint8 [S,S,3]."""
    rng = np.random.default_rng(_seed(world_seed, 'layout', p.layout_seed))
    if p.obj is None:
        return _banner(rng, S)
    o = p.obj
    img = _background(o.background, o.style, rng, S)
    r, pts, rot = _layout(o, rng, S)
    mask = Image.new('L', (S, S), 0)
    for cx, cy in pts:
        mask.paste(255, (0, 0), _shape_mask(o.shape, cx, cy, r, rot, S))
    m = np.asarray(mask, dtype=np.float64)[..., None] / 255.0
    col = np.array(COLOURS[o.colour], dtype=np.float64)
    if o.style == 'photo':
        shadow = np.asarray(mask.transform(mask.size, Image.AFFINE, (1, 0, -6, 0, 1, -6)).filter(ImageFilter.GaussianBlur(5)),
                            dtype=np.float64)[..., None] / 255.0
        img = img * (1 - 0.45 * shadow)
        yy, xx = np.mgrid[0:S, 0:S]
        shade = np.zeros((S, S))
        for cx, cy in pts:
            dd = np.sqrt((xx - cx + .4 * r) ** 2 + (yy - cy + .4 * r) ** 2) / (2 * r)
            shade = np.maximum(shade, np.clip(1 - dd, 0, 1))
        obj = col * (0.7 + 0.5 * shade[..., None])
        img = img * (1 - m) + obj * m
        img = img + rng.normal(0, 6, img.shape)
    elif o.style == 'cartoon':
        outline = np.asarray(mask.filter(ImageFilter.MaxFilter(7)), dtype=np.float64)[..., None] / 255.0
        img = img * (1 - outline) + 15 * outline
        img = img * (1 - m) + col * m
    else:  # sketch: coloured pencil outline and hatching
        edge = (np.asarray(mask.filter(ImageFilter.MaxFilter(5)), dtype=np.float64)
                - np.asarray(mask.filter(ImageFilter.MinFilter(3)), dtype=np.float64))[..., None] / 255.0
        yy, xx = np.mgrid[0:S, 0:S]
        hatch = (((xx + yy + rng.integers(0, 7)) % 7) < 2).astype(np.float64)[..., None] * m
        ink = col * 0.8
        img = img * (1 - 0.6 * hatch) + ink * 0.6 * hatch
        img = img * (1 - edge) + ink * edge
        img = img + rng.normal(0, 3, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _banner(rng: np.random.Generator, S: int) -> np.ndarray:
    """An advert: coloured stripes and blocks, unlike any object picture."""
    img = np.zeros((S, S, 3))
    img[:] = rng.integers(0, 256, 3)
    for _ in range(6):
        y0, x0 = rng.integers(0, S - 20, 2)
        h, w = rng.integers(10, S // 2, 2)
        img[y0:y0 + h, x0:x0 + w] = rng.integers(0, 256, 3)
    return img.astype(np.uint8)


# ---- pages ----------------------------------------------------------------------------------------------

def _random_obj(rng) -> Obj:
    return Obj(SHAPES[rng.integers(len(SHAPES))], list(COLOURS)[rng.integers(len(COLOURS))],
               COUNTS[rng.integers(3)], SIZES[rng.integers(2)], BACKGROUNDS[rng.integers(len(BACKGROUNDS))],
               STYLES[rng.integers(3)])


def _values(attr: str):
    return {'shape': SHAPES, 'colour': list(COLOURS), 'count': COUNTS, 'size': SIZES,
            'background': BACKGROUNDS, 'style': STYLES}[attr]


PAGE_KINDS = ['colour', 'count', 'size', 'style', 'background', 'set', 'combo']
PAGE_KIND_WEIGHTS = [0.18, 0.14, 0.08, 0.14, 0.14, 0.16, 0.16]


def make_page(world_seed: int, index: int, split: str) -> Page:
    rng = np.random.default_rng(_seed(world_seed, 'page', split, index))
    kind = PAGE_KINDS[rng.choice(len(PAGE_KINDS), p=PAGE_KIND_WEIGHTS)]
    base = _random_obj(rng)
    brand = BRANDS[rng.integers(len(BRANDS))]
    product = PRODUCTS[rng.integers(len(PRODUCTS))]
    objs = [base]
    if kind in ('colour', 'count', 'size', 'style', 'background'):
        others = [v for v in _values(kind) if v != getattr(base, kind)]
        rng.shuffle(others)
        n = min(len(others), int(rng.integers(1, 3)))
        objs += [replace(base, **{kind: v}) for v in others[:n]]
        title = f'{brand} {base.shape} {product}: {kind} options'
    elif kind == 'set':
        objs.append(replace(base, shape=PARTNER[base.shape]))
        if rng.random() < 0.5:
            objs.append(replace(base, colour=[c for c in COLOURS if c != base.colour][rng.integers(len(COLOURS) - 1)]))
        title = f'the {SET_NAME[base.shape]} set by {brand}'
    else:  # combo: two attributes change at once
        a, b = rng.choice(['colour', 'count', 'size', 'style', 'background'], 2, replace=False)
        va = [v for v in _values(a) if v != getattr(base, a)]
        vb = [v for v in _values(b) if v != getattr(base, b)]
        objs.append(replace(base, **{a: va[rng.integers(len(va))], b: vb[rng.integers(len(vb))]}))
        title = f'{brand} {product}, new {a} and {b}'
    pid = f'{split}{index:05d}'
    page = Page(pid, kind, title, f'{title}. {caption(base, 0)}.')
    for k, o in enumerate(objs):
        page.pictures.append(Picture(f'{pid}_{k}', o, _seed(pid, k), caption(o, int(rng.integers(4))), 'item'))
    if rng.random() < 0.5:  # the same picture uploaded twice, nudged: mining must drop it
        src = page.pictures[int(rng.integers(len(page.pictures)))]
        page.pictures.append(Picture(f'{pid}_dup', src.obj, src.layout_seed, src.alt, 'duplicate'))
    if rng.random() < 0.5:
        page.pictures.append(Picture(f'{pid}_ad', None, _seed(pid, 'ad'), f'advertisement: {BRANDS[rng.integers(len(BRANDS))]} summer sale', 'banner'))
    return page


def make_world(seed: int, n_train: int, n_val: int, n_test: int) -> Dict[str, List[Page]]:
    return {'train': [make_page(seed, i, 'train') for i in range(n_train)],
            'val': [make_page(seed, i, 'val') for i in range(n_val)],
            'test': [make_page(seed, i, 'test') for i in range(n_test)]}


def render_picture(p: Picture, world_seed: int) -> np.ndarray:
    img = render(p, world_seed)
    if p.role == 'duplicate':  # re-encoded copy: a faint global shift in brightness
        img = np.clip(img.astype(np.int16) + 3, 0, 255).astype(np.uint8)
    return img
