"""Instruction synthesis behind one interface: given a mined pair (query picture, target picture, page
metadata) write an open-ended instruction that leads from the query to the target.

- TemplateWriter: varied wordings per relation (several templates, synonyms, combinations), seeded.
- LLMWriter: the paper's prompt (task instruction + demonstrations; the model thinks ("Think:") then
  writes the instruction ("Query:")) sent to a maintainer-configured chat endpoint. Not used by tests
  or the demo build (no network there); `build_prompt` and `parse_reply` are pure and tested.
"""
import json
import os
import urllib.request
from typing import Callable, List, Optional, Protocol

import numpy as np

from .mining import MinedPair
from .world import ATTRS, BG_PHRASES, PARTNER, PLURAL, Obj


class InstructionWriter(Protocol):
    def write(self, pair: MinedPair) -> Optional[str]:
        """An instruction for the pair, or None when the writer cannot describe it (the pair is dropped)."""


def changed(a: Obj, b: Obj) -> List[str]:
    return [k for k in ATTRS if getattr(a, k) != getattr(b, k)]


_COLOUR = ['same {shape} but {colour}', 'make it {colour}', 'the {colour} version', 'in {colour} instead',
           'change the colour to {colour}', 'same thing in {colour}', 'a {colour} one', 'now in {colour}']
_COUNT = {1: ['just one of them', 'a single one', 'only one', 'one on its own'],
          2: ['two of them', 'a pair of these', 'make it two', 'show two'],
          3: ['three of them', 'show three', 'a group of three', 'make it three']}
_SIZE = {'big': ['a bigger one', 'make it larger', 'same but big', 'larger'],
         'small': ['a smaller one', 'make it tiny', 'same but small', 'smaller']}
_STYLE = {'sketch': ['as a pencil sketch', 'drawn as a sketch', 'the sketch version', 'sketch it'],
          'cartoon': ['as a cartoon', 'the cartoon version', 'drawn in cartoon style', 'make it a cartoon'],
          'photo': ['a real photo of it', 'as a photo', 'the photo version', 'photographed for real']}
_BG = {'white': ['against a white wall', 'on a white background', 'on plain white'],
       'sky': ['put it in the sky', 'against a blue sky', 'in the sky instead'],
       'wood': ['on a wooden table', 'put it on wood', 'on a table instead'],
       'sand': ['on the beach instead', 'on the sand', 'put it on a beach'],
       'night': ['at night', 'in the night sky', 'make it night']}
_SET = ['the other item from the same set', 'what goes with it', 'find its partner',
        'the matching piece from its set', 'complete the set', 'what it is sold with']
_JOIN = ['{a} and {b}', '{a}, {b}', '{a}, and {b}']


class TemplateWriter:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def _pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def _phrase(self, attr: str, q: Obj, t: Obj) -> str:
        if attr == 'colour':
            return self._pick(_COLOUR).format(shape=q.shape if q.count == 1 else PLURAL[q.shape], colour=t.colour)
        if attr == 'count':
            return self._pick(_COUNT[t.count])
        if attr == 'size':
            return self._pick(_SIZE[t.size])
        if attr == 'style':
            return self._pick(_STYLE[t.style])
        if attr == 'background':
            return self._pick(_BG[t.background])
        raise ValueError(attr)

    def write(self, pair: MinedPair) -> Optional[str]:
        q, t = pair.query.obj, pair.target.obj
        if q is None or t is None:
            return None
        diff = changed(q, t)
        if diff == ['shape']:
            return self._pick(_SET) if PARTNER[q.shape] == t.shape else None
        if not diff or 'shape' in diff or len(diff) > 2:
            return None
        phrases = [self._phrase(a, q, t) for a in diff]
        if len(phrases) == 1:
            return phrases[0]
        if 'colour' in diff:  # "same star but red" reads badly inside a combination
            phrases = [f'in {t.colour}' if a == 'colour' else p for a, p in zip(diff, phrases)]
        self.rng.shuffle(phrases)
        return self._pick(_JOIN).format(a=phrases[0], b=phrases[1])


# ---- the paper's LLM prompt ---------------------------------------------------------------------------

PAPER_TASK = (
    'You are given the metadata of two images that appear on the same web page: a query image and a target '
    'image. Write an open-ended search instruction that a person holding the query image could type to find '
    'the target image. The instruction should capture the relation between the two images, which may go '
    'beyond what is visible (for example "another item from the same collection"). First think about how the '
    'two images are related, starting with "Think:", then give the instruction on a line starting with "Query:".')

DEMONSTRATIONS = [
    {'page': 'Toyota 4Runner 2019 review', 'query': 'a black SUV parked in a driveway',
     'target': 'the dashboard of a Toyota 4Runner',
     'think': 'The query shows the car from outside; the target shows the inside of the same car model.',
     'instruction': 'inside view of it'},
    {'page': 'Sunset Beach Resort photo gallery', 'query': 'an aerial photo of a resort by the sea',
     'target': 'a hotel room with a sea view',
     'think': 'Both belong to the same resort; the target is a room in it.',
     'instruction': 'a room in this resort'},
    {'page': 'Charging accessories for the Pixel phone', 'query': 'a Pixel phone on a table',
     'target': 'a white USB-C charger',
     'think': 'The target is an accessory sold for the phone in the query.',
     'instruction': 'find a charger for it'},
]


def _describe(meta: dict) -> str:
    return '; '.join(f'{k}: {v}' for k, v in meta.items())


def build_prompt(pair: MinedPair) -> str:
    lines = [PAPER_TASK, '']
    for d in DEMONSTRATIONS:
        lines += [f'Page: {d["page"]}', f'Query image: {d["query"]}', f'Target image: {d["target"]}',
                  f'Think: {d["think"]}', f'Query: {d["instruction"]}', '']
    q_meta = {'caption': pair.query.alt}
    t_meta = {'caption': pair.target.alt}
    lines += [f'Page: {pair.page.title}. {pair.page.text}', f'Query image: {_describe(q_meta)}',
              f'Target image: {_describe(t_meta)}', 'Think:']
    return '\n'.join(lines)


def parse_reply(reply: str) -> Optional[str]:
    """The text after the last 'Query:' line, or None when the model gave none."""
    found = None
    for line in reply.splitlines():
        s = line.strip()
        if s.lower().startswith('query:'):
            found = s[len('query:'):].strip().strip('"').strip()
    return found or None


class LLMWriter:
    """Paper-style instruction writing through any chat endpoint. `complete` maps a prompt to the model's
    reply; `openai_compatible` builds one from MAGICLENS_LLM_URL / MAGICLENS_LLM_MODEL / MAGICLENS_LLM_KEY."""

    def __init__(self, complete: Callable[[str], str]):
        self.complete = complete

    def write(self, pair: MinedPair) -> Optional[str]:
        return parse_reply(self.complete(build_prompt(pair)))

    @staticmethod
    def openai_compatible(url: Optional[str] = None, model: Optional[str] = None, key: Optional[str] = None,
                          timeout: float = 60.0) -> 'LLMWriter':
        url = url or os.environ.get('MAGICLENS_LLM_URL')
        model = model or os.environ.get('MAGICLENS_LLM_MODEL', 'default')
        key = key or os.environ.get('MAGICLENS_LLM_KEY')
        if not url:
            raise ValueError('no LLM endpoint configured: set MAGICLENS_LLM_URL (an OpenAI-compatible '
                             '/v1/chat/completions URL)')

        def complete(prompt: str) -> str:
            body = json.dumps({'model': model, 'temperature': 0.7,
                               'messages': [{'role': 'user', 'content': prompt}]}).encode()
            headers = {'Content-Type': 'application/json'}
            if key:
                headers['Authorization'] = f'Bearer {key}'
            req = urllib.request.Request(url, data=body, headers=headers)
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.load(r)['choices'][0]['message']['content']

        return LLMWriter(complete)
