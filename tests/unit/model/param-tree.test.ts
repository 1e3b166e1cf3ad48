// The official base/large/tiny variable trees: the architecture inferred from shapes regenerates every
// leaf exactly, and the three graph builders consume every leaf (dry run: no weights materialised).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countParams, expectedTree, inferArchitecture } from '../../../models/ts/architecture.js';
import { buildFusionGraph, buildImageGraph, buildTextGraph } from '../../../models/ts/magiclens-graphs.js';
import { goldenDir } from '../../helpers/tiny-pack.js';

const G = goldenDir();

describe.skipIf(!G)('param trees', () => {
  const cases = [
    ['param_tree_base.json', 166433025, { embedDim: 512, imageSize: 224, patchSize: 16, visionWidth: 768, visionLayers: 12, visionHeads: 12, textWidth: 512, textLayers: 12, textHeads: 8, fusionLayers: 4, fusionHeads: 8, ffnHidden: 2048, poolerHeads: 8, poolerHeadDim: 256 }],
    ['param_tree_large.json', 465417665, { embedDim: 768, imageSize: 224, patchSize: 14, visionWidth: 1024, visionLayers: 24, visionHeads: 16, textWidth: 768, textLayers: 12, textHeads: 12, fusionLayers: 4, fusionHeads: 16, ffnHidden: 3072, poolerHeads: 16, poolerHeadDim: 192 }],
    ['tiny_param_tree.json', 901265, { embedDim: 32, imageSize: 32, patchSize: 8, visionWidth: 48, visionHeads: 2, visionMlp: 192 }],
  ] as const;
  for (const [file, total, arch] of cases) {
    it(`${file}: architecture inferred, every leaf regenerated and consumed by the graphs`, () => {
      const tree = JSON.parse(fs.readFileSync(path.join(G!, file), 'utf8')) as { params: { path: string; shape: number[] }[] };
      const shapes = new Map(tree.params.map((p) => [p.path, p.shape]));
      const a = inferArchitecture(shapes);
      expect(a).toMatchObject(arch);
      const want = expectedTree(a);
      expect([...want.keys()].sort()).toEqual([...shapes.keys()].sort());
      for (const [k, s] of shapes) expect(want.get(k), k).toEqual(s);
      expect(countParams(shapes)).toBe(total);
      const src = (p: string) => ({ shape: shapes.get(p)!, dtype: 'float32', bytes: new Uint8Array(0) });
      const used = new Set<string>();
      for (const b of [buildImageGraph, buildTextGraph, buildFusionGraph]) {
        const { graph, used: u } = b(a, src);
        u.forEach((k) => used.add(k));
        // every initializer has the size its dims say
        for (const i of graph.initializers) expect(i.byteLength, i.name).toBe(i.dims.reduce((x, y) => x * y, 1) * (i.dataType === 7 ? 8 : 4));
      }
      const unused = [...shapes.keys()].filter((k) => !used.has(k));
      // logit_scale is CLIP's contrastive temperature: MagicLens inference never uses it
      expect(unused).toEqual(['params/clip/logit_scale']);
    });
  }
});
