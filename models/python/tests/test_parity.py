"""The PyTorch mirror reproduces the official golden vectors (reference/magiclens/golden_tiny.json)."""
import hashlib
import json
import os
import unittest

import numpy as np
import torch

from magiclens_torch.checkpoint import checkpoint_bytes, load_checkpoint
from magiclens_torch.config import CONFIGS, config_from_params
from magiclens_torch.model import MagicLens, param_shapes
from magiclens_torch.preprocess import CLIP_MEAN, CLIP_STD, jax_resize, model_input, process_img_224
from tests.shared import have_reference, reference_dir

SKIP = 'shared reference data absent (set MAGICLENS_SHARED or place shared/ beside the repo)'


def cos(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@unittest.skipUnless(have_reference(), SKIP)
class ParityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ref = reference_dir()
        with open(os.path.join(ref, 'golden_tiny.json')) as f:
            cls.g = json.load(f)
        cls.ckpt_path = os.path.join(ref, 'tiny_checkpoint.pkl')
        cls.params = load_checkpoint(cls.ckpt_path)
        cls.model = MagicLens(config_from_params(cls.params), {k: torch.from_numpy(v) for k, v in cls.params.items()})
        cls.images = [np.load(os.path.join(ref, im['npy_uint8'])) for im in cls.g['images']]

    def test_config_inferred_and_tree_matches(self):
        self.assertEqual(config_from_params(self.params), CONFIGS['tiny'])
        with open(os.path.join(reference_dir(), 'tiny_param_tree.json')) as f:
            tree = json.load(f)
        want = {p['path'][len('params/'):]: tuple(p['shape']) for p in tree['params']}
        self.assertEqual(want, param_shapes(CONFIGS['tiny']))

    def test_checkpoint_round_trip_is_byte_identical(self):
        with open(self.ckpt_path, 'rb') as f:
            original = f.read()
        again = checkpoint_bytes(self.params)
        self.assertEqual(hashlib.sha256(again).hexdigest(), hashlib.sha256(original).hexdigest())

    def test_preprocessing(self):
        for img, gi in zip(self.images, self.g['images']):
            p224 = process_img_224(img)
            ref = gi['process_img_224']
            np.testing.assert_allclose(p224[::8, ::8], np.array(ref['sample_rows_cols_0_to_223_step_8']), atol=1e-5)
            self.assertAlmostEqual(float(p224.sum()), ref['sum'], delta=abs(ref['sum']) * 1e-5)
            x = model_input(img, 32)
            np.testing.assert_allclose(x, np.array(gi['preprocessed_32x32x3']), atol=1e-4)

    def test_direct_variant_downsampling_resize(self):
        # Native non-square size, uint8/255 fed straight to the model: exercises crop + antialias downsample.
        for img, gi in zip(self.images, self.g['direct_variant']['images']):
            x = img.astype(np.float32) / 255.0
            h, w = x.shape[:2]
            m = min(h, w)
            x = x[(h - m) // 2:(h - m) // 2 + m, (w - m) // 2:(w - m) // 2 + m]
            x = (jax_resize(x, 32, 32) - CLIP_MEAN) / CLIP_STD
            np.testing.assert_allclose(x, np.array(gi['preprocessed_32x32x3']), atol=1e-4)

    def test_embeddings(self):
        ids = torch.tensor(self.g['token_ids'], dtype=torch.int64)
        pix = torch.from_numpy(np.stack([model_input(im, 32) for im in self.images]))
        with torch.no_grad():
            img_e = self.model.encode_image(pix).numpy()
            txt_e = self.model.encode_text(ids).numpy()
            txt_short = self.model.encode_text(ids[:, :16]).numpy()
        for i, gi in enumerate(self.g['images']):
            ref = np.array(gi['clip_image_embed'])
            self.assertGreaterEqual(cos(img_e[i], ref), 0.99999)
            self.assertLessEqual(np.abs(img_e[i] - ref).max(), 1e-4)
        for i, ref in enumerate(self.g['text_embeds']):
            self.assertGreaterEqual(cos(txt_e[i], ref), 0.99999)
            self.assertLessEqual(np.abs(txt_e[i] - np.array(ref)).max(), 1e-4)
        # Running on a shorter token length gives the same result (causal + padding mask).
        np.testing.assert_allclose(txt_short, txt_e, atol=1e-5)
        n_i, n_t = len(self.images), len(self.g['texts'])
        ii = torch.arange(n_i).repeat_interleave(n_t)
        tt = torch.arange(n_t).repeat(n_i)
        with torch.no_grad():
            e, en = self.model(pix[ii], ids[tt])
        for k, pair in enumerate(self.g['pairs']):
            self.assertEqual((pair['image'], pair['text']), (int(ii[k]), int(tt[k])))
            for got, key in ((e[k].numpy(), 'multimodal_embed'), (en[k].numpy(), 'multimodal_embed_norm')):
                ref = np.array(pair[key])
                self.assertGreaterEqual(cos(got, ref), 0.99999, key)
                self.assertLessEqual(np.abs(got - ref).max(), 1e-4, key)


if __name__ == '__main__':
    unittest.main()
