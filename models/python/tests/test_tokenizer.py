"""Our CLIP tokenizer reproduces the official token ids, and learned vocabularies round-trip."""
import json
import os
import tempfile
import unittest

from magiclens_torch.tokenizer import Tokenizer, learn_bpe, write_merges
from tests.shared import have_reference, reference_dir


class TokenizerTest(unittest.TestCase):
    @unittest.skipUnless(have_reference(), 'shared reference data absent')
    def test_official_vocab_matches_golden_ids(self):
        tok = Tokenizer.from_file(os.path.join(reference_dir(), 'bpe_simple_vocab_16e6.txt.gz'))
        self.assertEqual((tok.size, tok.sot, tok.eot), (49408, 49406, 49407))
        with open(os.path.join(reference_dir(), 'golden_tiny.json')) as f:
            g = json.load(f)
        for text, ids in zip(g['texts'], g['token_ids']):
            got = tok.encode(text)
            self.assertEqual(got + [0] * (77 - len(got)), ids, text)

    def test_learned_vocab_round_trip(self):
        texts = ['two small red stars on a wooden table', 'a sketch of a blue moon', 'same star but red'] * 3
        merges = learn_bpe(texts, 200)
        self.assertGreater(len(merges), 10)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, 'v.txt.gz')
            write_merges(merges, p)
            with open(p, 'rb') as f:
                first = f.read()
            write_merges(merges, p)
            with open(p, 'rb') as f:
                self.assertEqual(f.read(), first, 'vocabulary file is not byte-reproducible')
            tok = Tokenizer.from_file(p)
        self.assertEqual(tok.size, 512 + len(merges) + 2)
        ids = tok.encode('two small red stars')
        self.assertEqual((ids[0], ids[-1]), (tok.sot, tok.eot))
        self.assertLessEqual(len(ids), 2 + 4 + 1, 'frequent words should become (near) single tokens')
        # Unseen text still encodes through the byte alphabet.
        self.assertGreater(len(tok.encode('zebra crossing ünïcode')), 5)
        with self.assertRaises(ValueError):
            tok.encode('word ' * 80)


if __name__ == '__main__':
    unittest.main()
