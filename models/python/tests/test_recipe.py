"""World, mining, instruction writing, the loss and the checkpoint round trip (no shared data needed)."""
import dataclasses
import math
import os
import tempfile
import unittest

import numpy as np
import torch

from magiclens_torch import instructions as ins
from magiclens_torch.checkpoint import load_checkpoint, save_checkpoint
from magiclens_torch.config import CONFIGS, config_from_params
from magiclens_torch.data import build_split
from magiclens_torch.mining import (MAX_PAIRS_PER_GROUP, NEAR_DUPLICATE, TEXT_RELEVANCE, VISUAL_RELEVANCE,
                                    MiningStats, image_feature, mine_pairs, text_cosine, text_feature)
from magiclens_torch.model import MagicLens
from magiclens_torch.pairs import Siblings, label_triplets
from magiclens_torch.tokenizer import Tokenizer, learn_bpe
from magiclens_torch.train import MagicLensStage, magiclens_loss
from magiclens_torch.world import PARTNER, make_page, make_world, render_picture

SMALL = dataclasses.replace(CONFIGS['demo'], vision_width=32, vision_heads=2, vision_layers=1, text_width=32,
                            text_layers=1, text_heads=2, embed_dim=32, ffn_hidden=64, vocab_size=600)


class WorldTest(unittest.TestCase):
    def test_deterministic_and_seed_dependent(self):
        a, b = make_page(1, 3, 'train'), make_page(1, 3, 'train')
        self.assertEqual([p.alt for p in a.pictures], [p.alt for p in b.pictures])
        for p, q in zip(a.pictures, b.pictures):
            np.testing.assert_array_equal(render_picture(p, 1), render_picture(q, 1))
        other = make_world(2, 8, 0, 0)['train']
        self.assertNotEqual([pg.title for pg in make_world(1, 8, 0, 0)['train']], [pg.title for pg in other])

    def test_pages_hold_visual_and_beyond_visual_relations(self):
        pages = make_world(3, 80, 0, 0)['train']
        kinds = {pg.kind for pg in pages}
        self.assertTrue({'colour', 'count', 'style', 'background', 'set'} <= kinds)
        for pg in pages:
            if pg.kind == 'set':
                shapes = {p.obj.shape for p in pg.pictures if p.obj}
                self.assertTrue(any(PARTNER[s] in shapes for s in shapes))


class MiningTest(unittest.TestCase):
    def test_filters(self):
        pages = make_world(4, 60, 0, 0)['train']
        cache = {}

        def image_of(p):
            return cache.setdefault(p.id, render_picture(p, 4))

        stats = MiningStats()
        pairs = mine_pairs(pages, image_of, np.random.default_rng(0), stats)
        self.assertGreater(stats.near_duplicates, 0)
        self.assertGreater(len(pairs), 30)
        per_page = {}
        for pr in pairs:
            per_page[pr.page.id] = per_page.get(pr.page.id, 0) + 1
            self.assertNotEqual(pr.query.id, pr.target.id)
            self.assertNotIn('banner', (pr.query.role, pr.target.role), 'an unrelated banner was paired')
            self.assertTrue(pr.visual_sim >= VISUAL_RELEVANCE or pr.text_sim >= TEXT_RELEVANCE)
            self.assertLessEqual(pr.visual_sim, NEAR_DUPLICATE)
        self.assertLessEqual(max(per_page.values()), MAX_PAIRS_PER_GROUP)

    def test_features(self):
        img = np.zeros((224, 224, 3), np.uint8)
        img[50:100, 50:100] = 200
        self.assertAlmostEqual(float(image_feature(img) @ image_feature(img)), 1.0, places=6)
        self.assertAlmostEqual(text_cosine(text_feature('a red star'), text_feature('A red star!')), 1.0)
        self.assertLess(text_cosine(text_feature('a red star'), text_feature('two blue moons')), 0.5)


class InstructionTest(unittest.TestCase):
    def setUp(self):
        pages = make_world(5, 120, 0, 0)['train']
        self.pairs = mine_pairs(pages, lambda p: render_picture(p, 5), np.random.default_rng(1))

    def test_template_writer_varies_wording(self):
        w = ins.TemplateWriter(0)
        texts = [w.write(p) for p in self.pairs]
        written = [t for t in texts if t]
        self.assertGreater(len(written), len(self.pairs) * 0.6)
        self.assertGreater(len(set(written)), 25, 'wording should vary, not repeat one template')
        colour = [t for p, t in zip(self.pairs, texts) if t and ins.changed(p.query.obj, p.target.obj) == ['colour']]
        for p, t in zip(self.pairs, texts):
            if t and ins.changed(p.query.obj, p.target.obj) == ['colour']:
                self.assertIn(p.target.obj.colour, t)
        self.assertGreater(len({t.split()[0] for t in colour}), 2)

    def test_llm_prompt_and_reply(self):
        pair = self.pairs[0]
        prompt = ins.build_prompt(pair)
        self.assertTrue(prompt.rstrip().endswith('Think:'))
        self.assertIn(pair.query.alt, prompt)
        self.assertEqual(prompt.count('Query: '), len(ins.DEMONSTRATIONS))
        reply = 'Think: both are from the same set.\nQuery: "the matching piece"\n'
        self.assertEqual(ins.parse_reply(reply), 'the matching piece')
        self.assertIsNone(ins.parse_reply('Think: no idea'))
        seen = []
        writer = ins.LLMWriter(lambda p: seen.append(p) or 'Think: x\nQuery: make it blue')
        self.assertEqual(writer.write(pair), 'make it blue')
        self.assertEqual(seen, [prompt])
        with self.assertRaises(ValueError):
            old = os.environ.pop('MAGICLENS_LLM_URL', None)
            try:
                ins.LLMWriter.openai_compatible()
            finally:
                if old is not None:
                    os.environ['MAGICLENS_LLM_URL'] = old


class LossTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        pages = make_world(6, 30, 0, 0)['train']
        cls.split = build_split(pages, 6, SMALL.image_size, ins.TemplateWriter(0), 0)
        texts = [t[1] for t in cls.split.triplets] + [p.alt for p in cls.split.pictures]
        cls.tok = Tokenizer(learn_bpe(texts, 80))
        cls.model = MagicLens(dataclasses.replace(SMALL, vocab_size=cls.tok.size), seed=1)

    def test_query_negatives_enter_the_softmax(self):
        batch = self.split.triplets[:16]
        t = torch.tensor(math.log(1 / MagicLensStage().temperature))
        self.assertAlmostEqual(math.exp(-float(t)), 0.07, places=6)
        with_qn = magiclens_loss(self.model, self.tok, batch, t, True, pixels=self.split.pixels)
        without = magiclens_loss(self.model, self.tok, batch, t, False, pixels=self.split.pixels)
        # More negatives in the softmax can only raise the loss.
        self.assertGreater(float(with_qn), float(without))

    def test_loss_trains_new_and_reused_params(self):
        batch = self.split.triplets[:16]
        t = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        loss = magiclens_loss(self.model, self.tok, batch, t, True, pixels=self.split.pixels)
        loss.backward()
        grads = {n: p.grad for n, p in self.model.named_official()}
        self.assertIsNotNone(grads['multimodal_encoder/x_layers_0/self_attention/query/w'])
        self.assertIsNotNone(grads['clip/visual/conv1/kernel'])
        self.assertIsNotNone(t.grad)
        self.model.zero_grad()


    def test_hard_negatives_enter_the_softmax(self):
        batch = self.split.triplets[:16]
        t = torch.tensor(math.log(1 / 0.07))
        sib = Siblings(self.split)
        negs = sib.sample([b[2] for b in batch], 2, np.random.default_rng(0))
        self.assertTrue(negs)
        plain = magiclens_loss(self.model, self.tok, batch, t, True, pixels=self.split.pixels)
        harder = magiclens_loss(self.model, self.tok, batch, t, True, pixels=self.split.pixels, neg_rows=negs)
        self.assertGreater(float(harder), float(plain))


class LabelPairsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        pages = make_world(7, 60, 0, 0)['train']
        cls.split = build_split(pages, 7, 32, ins.TemplateWriter(0), 0)

    def test_label_triplets_are_one_edit_with_an_instruction(self):
        trips = label_triplets(self.split, 3, seed=1)
        self.assertEqual(trips, label_triplets(self.split, 3, seed=1))  # seeded: reproducible
        items = sum(p.role == 'item' for p in self.split.pictures)
        self.assertGreater(len(trips), items)  # several per picture on a 60-page world
        self.assertLessEqual(len(trips), 3 * items)
        for q, text, t in trips:
            a, b = self.split.pictures[q].obj, self.split.pictures[t].obj
            diff = ins.changed(a, b)
            self.assertTrue(diff == ['shape'] and PARTNER[a.shape] == b.shape or
                            (1 <= len(diff) <= 2 and 'shape' not in diff), (a, b, text))
            self.assertTrue(text)

    def test_siblings_differ_in_exactly_one_attribute(self):
        sib = Siblings(self.split)
        seen = 0
        for i, rows in enumerate(sib.rows):
            for r in rows:
                self.assertEqual(len(ins.changed(self.split.pictures[i].obj, self.split.pictures[r].obj)), 1)
                seen += 1
        self.assertGreater(seen, 0)


class AugmentationTest(unittest.TestCase):
    def test_shift_translates_each_picture_and_replicates_edges(self):
        from magiclens_torch.train import _shift
        px = torch.arange(3 * 8 * 8, dtype=torch.float32).reshape(3, 8, 8, 1).expand(3, 8, 8, 3).contiguous()
        out = _shift(px, 2, torch.Generator().manual_seed(0))
        self.assertEqual(out.shape, px.shape)
        for i in range(3):  # every picture is its own translate of the input, clamped at the border
            found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                     if torch.equal(out[i], px[i][(torch.arange(8) + dy).clamp(0, 7)][:, (torch.arange(8) + dx).clamp(0, 7)])]
            self.assertEqual(len(found), 1)


class DeterminismTest(unittest.TestCase):
    def test_training_is_bit_reproducible(self):
        from magiclens_torch.data import caption_pairs
        from magiclens_torch.train import ClipStage, train_clip, train_magiclens
        torch.use_deterministic_algorithms(True)
        pages = make_world(8, 40, 8, 0)
        train = build_split(pages['train'], 8, SMALL.image_size, ins.TemplateWriter(0), 0)
        val = build_split(pages['val'], 8, SMALL.image_size, ins.TemplateWriter(1), 1)
        tok = Tokenizer(learn_bpe([p.alt for p in train.pictures] + [t[1] for t in train.triplets], 100))

        def run():
            m = MagicLens(dataclasses.replace(SMALL, vocab_size=tok.size), seed=2)
            g = torch.Generator().manual_seed(3)
            caps = caption_pairs(train, np.random.default_rng(4))
            train_clip(m, tok, train, caps, ClipStage(epochs=1, batch=32, warmup_steps=2), g, log=lambda s: None)
            train_magiclens(m, tok, train, val, MagicLensStage(max_epochs=2, batch=16, warmup_steps=2), g, caps,
                            log=lambda s: None)
            return m.flat_params()

        a, b = run(), run()
        for k in a:
            self.assertTrue(torch.equal(a[k], b[k]), k)


class CheckpointTest(unittest.TestCase):
    def test_save_load_infers_config(self):
        m = MagicLens(SMALL, seed=3)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, 'c.pkl')
            save_checkpoint(m.flat_params(), p)
            params = load_checkpoint(p)
        self.assertEqual(config_from_params(params), SMALL)
        for k, v in m.flat_params().items():
            np.testing.assert_array_equal(params[k], v.numpy())


if __name__ == '__main__':
    unittest.main()
