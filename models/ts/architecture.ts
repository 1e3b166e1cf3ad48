// The MagicLens variable tree: infer the architecture from parameter shapes (so any size — base,
// large, the tiny golden model, or a checkpoint trained by models/python — converts without a
// hard-coded config), regenerate the full expected tree from it, and validate a checkpoint against it.
import { CheckpointError } from './pickle.js';

export interface Architecture {
  embedDim: number;
  imageSize: number;
  patchSize: number;
  visionWidth: number;
  visionLayers: number;
  visionHeads: number;
  visionMlp: number;
  textWidth: number;
  textLayers: number;
  textHeads: number;
  textMlp: number;
  contextLength: number;
  vocabSize: number;
  fusionLayers: number;
  fusionHeads: number;
  ffnHidden: number;
  poolerHeads: number;
  poolerHeadDim: number;
  numQueryTokens: number;
}

export type ShapeMap = Map<string, number[]>;

const P = 'params';

function shapeOf(shapes: ShapeMap, path: string, rank: number): number[] {
  const s = shapes.get(path);
  if (!s) throw new CheckpointError(`checkpoint is missing key ${path}`);
  if (s.length !== rank) throw new CheckpointError(`checkpoint key ${path} has shape [${s.join(',')}], expected rank ${rank}`);
  return s;
}

function countLayers(shapes: ShapeMap, prefix: string): number {
  let n = 0;
  while ([...shapes.keys()].some((k) => k.startsWith(`${prefix}${n}/`))) n++;
  return n;
}

export function inferArchitecture(shapes: ShapeMap): Architecture {
  const v = `${P}/clip/visual`;
  const t = `${P}/clip/text`;
  const [patch, patchW, cin, visionWidth] = shapeOf(shapes, `${v}/conv1/kernel`, 4) as [number, number, number, number];
  if (patch !== patchW || cin !== 3) throw new CheckpointError(`checkpoint key ${v}/conv1/kernel has unexpected shape [${[patch, patchW, cin, visionWidth].join(',')}]`);
  const [nPos] = shapeOf(shapes, `${v}/positional_embedding`, 2) as [number];
  const grid = Math.round(Math.sqrt(nPos - 1));
  if (grid * grid !== nPos - 1) throw new CheckpointError(`checkpoint key ${v}/positional_embedding has ${nPos} rows; expected grid²+1`);
  const embedDim = shapeOf(shapes, `${v}/proj/kernel`, 2)[1]!;
  const visionLayers = countLayers(shapes, `${v}/transformer/resblocks_`);
  const textLayers = countLayers(shapes, `${t}/transformer/resblocks_`);
  const fusionLayers = countLayers(shapes, `${P}/multimodal_encoder/x_layers_`);
  if (visionLayers === 0) throw new CheckpointError(`checkpoint is missing key ${v}/transformer/resblocks_0`);
  if (textLayers === 0) throw new CheckpointError(`checkpoint is missing key ${t}/transformer/resblocks_0`);
  if (fusionLayers === 0) throw new CheckpointError(`checkpoint is missing key ${P}/multimodal_encoder/x_layers_0`);
  const visionHeads = shapeOf(shapes, `${v}/transformer/resblocks_0/attn/query/kernel`, 3)[1]!;
  const visionMlp = shapeOf(shapes, `${v}/transformer/resblocks_0/mlp/c_fc/kernel`, 2)[1]!;
  const [vocabSize, textWidth] = shapeOf(shapes, `${t}/token_embedding/embedding`, 2) as [number, number];
  const contextLength = shapeOf(shapes, `${t}/positional_embedding`, 2)[0]!;
  const textHeads = shapeOf(shapes, `${t}/transformer/resblocks_0/attn/query/kernel`, 3)[1]!;
  const textMlp = shapeOf(shapes, `${t}/transformer/resblocks_0/mlp/c_fc/kernel`, 2)[1]!;
  const fusionHeads = shapeOf(shapes, `${P}/multimodal_encoder/x_layers_0/self_attention/query/w`, 3)[1]!;
  const ffnHidden = shapeOf(shapes, `${P}/multimodal_encoder/x_layers_0/ff_layer/ffn_layer1/linear/w`, 2)[1]!;
  const pq = shapeOf(shapes, `${P}/contrastive_multimodal_pooler/pool_attn/query/w`, 3);
  const numQueryTokens = shapeOf(shapes, `${P}/contrastive_multimodal_pooler/pooling_attn_query`, 2)[0]!;
  return {
    embedDim, imageSize: grid * patch, patchSize: patch, visionWidth, visionLayers, visionHeads, visionMlp,
    textWidth, textLayers, textHeads, textMlp, contextLength, vocabSize,
    fusionLayers, fusionHeads, ffnHidden, poolerHeads: pq[1]!, poolerHeadDim: pq[2]!, numQueryTokens,
  };
}

function div(a: number, b: number, what: string): number {
  if (a % b !== 0) throw new CheckpointError(`${what}: ${a} is not divisible by ${b} heads`);
  return a / b;
}

/** Every leaf of the official `model.init` tree for this architecture, path → shape. */
export function expectedTree(a: Architecture): ShapeMap {
  const m: ShapeMap = new Map();
  const add = (p: string, s: number[]) => m.set(`${P}/${p}`, s);
  add('clip/logit_scale', []);
  const clipBlock = (prefix: string, w: number, heads: number, mlp: number) => {
    const dh = div(w, heads, prefix);
    for (const n of ['query', 'key', 'value']) {
      add(`${prefix}/attn/${n}/kernel`, [w, heads, dh]);
      add(`${prefix}/attn/${n}/bias`, [heads, dh]);
    }
    add(`${prefix}/attn/out/kernel`, [heads, dh, w]);
    add(`${prefix}/attn/out/bias`, [w]);
    for (const ln of ['ln_1', 'ln_2']) { add(`${prefix}/${ln}/scale`, [w]); add(`${prefix}/${ln}/bias`, [w]); }
    add(`${prefix}/mlp/c_fc/kernel`, [w, mlp]);
    add(`${prefix}/mlp/c_fc/bias`, [mlp]);
    add(`${prefix}/mlp/c_proj/kernel`, [mlp, w]);
    add(`${prefix}/mlp/c_proj/bias`, [w]);
  };
  const grid = a.imageSize / a.patchSize;
  add('clip/visual/class_embedding', [a.visionWidth]);
  add('clip/visual/conv1/kernel', [a.patchSize, a.patchSize, 3, a.visionWidth]);
  for (const ln of ['ln_pre', 'ln_post']) { add(`clip/visual/${ln}/scale`, [a.visionWidth]); add(`clip/visual/${ln}/bias`, [a.visionWidth]); }
  add('clip/visual/positional_embedding', [grid * grid + 1, a.visionWidth]);
  add('clip/visual/proj/kernel', [a.visionWidth, a.embedDim]);
  for (let i = 0; i < a.visionLayers; i++) clipBlock(`clip/visual/transformer/resblocks_${i}`, a.visionWidth, a.visionHeads, a.visionMlp);
  add('clip/text/ln_final/scale', [a.textWidth]);
  add('clip/text/ln_final/bias', [a.textWidth]);
  add('clip/text/positional_embedding', [a.contextLength, a.textWidth]);
  add('clip/text/text_projection/kernel', [a.textWidth, a.embedDim]);
  add('clip/text/token_embedding/embedding', [a.vocabSize, a.textWidth]);
  for (let i = 0; i < a.textLayers; i++) clipBlock(`clip/text/transformer/resblocks_${i}`, a.textWidth, a.textHeads, a.textMlp);
  const D = a.embedDim;
  const attn = (prefix: string, heads: number, dh: number) => {
    for (const n of ['query', 'key', 'value']) { add(`${prefix}/${n}/w`, [D, heads, dh]); add(`${prefix}/${n}/b`, [heads, dh]); }
    add(`${prefix}/post/w`, [D, heads, dh]);
    add(`${prefix}/post/b`, [D]);
  };
  for (let i = 0; i < a.fusionLayers; i++) {
    const p = `multimodal_encoder/x_layers_${i}`;
    attn(`${p}/self_attention`, a.fusionHeads, div(D, a.fusionHeads, p));
    add(`${p}/layer_norm/scale`, [D]);
    add(`${p}/layer_norm/bias`, [D]);
    add(`${p}/ff_layer/layer_norm/scale`, [D]);
    add(`${p}/ff_layer/layer_norm/bias`, [D]);
    add(`${p}/ff_layer/ffn_layer1/linear/w`, [D, a.ffnHidden]);
    add(`${p}/ff_layer/ffn_layer1/bias/b`, [a.ffnHidden]);
    add(`${p}/ff_layer/ffn_layer2/linear/w`, [a.ffnHidden, D]);
    add(`${p}/ff_layer/ffn_layer2/bias/b`, [D]);
  }
  const pool = 'contrastive_multimodal_pooler';
  attn(`${pool}/pool_attn`, a.poolerHeads, a.poolerHeadDim);
  add(`${pool}/pool_attn/per_dim_scale/per_dim_scale`, [a.poolerHeadDim]);
  add(`${pool}/pool_attn_ln/scale`, [D]);
  add(`${pool}/pool_attn_ln/bias`, [D]);
  add(`${pool}/pooling_attn_query`, [a.numQueryTokens, D]);
  return m;
}

/** Throws a CheckpointError naming the first missing, extra or mis-shaped key (and how many more). */
export function validateTree(shapes: ShapeMap, dtypes: Map<string, string> | null, a: Architecture): void {
  const want = expectedTree(a);
  const problems: string[] = [];
  for (const [k, s] of want) {
    const got = shapes.get(k);
    if (!got) problems.push(`missing key ${k} (expected shape [${s.join(',')}])`);
    else if (got.length !== s.length || got.some((d, i) => d !== s[i])) problems.push(`key ${k} has shape [${got.join(',')}], expected [${s.join(',')}]`);
    else if (dtypes && dtypes.get(k) !== 'float32') problems.push(`key ${k} has dtype ${dtypes.get(k)}, expected float32`);
  }
  for (const k of shapes.keys()) if (!want.has(k)) problems.push(`unexpected key ${k}`);
  if (a.numQueryTokens !== 1) problems.push(`pooling_attn_query has ${a.numQueryTokens} query tokens; MagicLens uses 1`);
  if (problems.length) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}: ${problems.slice(1, 4).join('; ')}${problems.length > 4 ? '; …' : ''})` : '';
    throw new CheckpointError(`checkpoint does not match the MagicLens parameter tree: ${problems[0]}${more}`);
  }
}

export function countParams(shapes: ShapeMap): number {
  let n = 0;
  for (const s of shapes.values()) n += s.reduce((a, b) => a * b, 1);
  return n;
}
