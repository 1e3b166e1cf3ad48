// The three MagicLens graphs, written op by op from the official code (scenic CLIP layers + MagicLens
// layers.py). Each numeric detail below follows the reference facts:
//   CLIP LayerNorm: eps 1e-5, y*scale+bias (ORT's LayerNormalization computes E[x²]-E[x]², the same
//     fast variance flax uses; an explicit-op version is kept for measurement).
//   MagicLens LayerNorm: eps 1e-6, two-pass variance, y*(1+scale)+bias ((1+scale) folded into the weight).
//   CLIP attention: q/sqrt(Dh); masked logits = float32 min (so a fully-masked row is uniform, as in flax).
//   Fusion attention: q*Dh^-0.5, logits capped 50*tanh(x/50). Pooler: per-dim scale
//     1.442695041/sqrt(Dh)*softplus(p), the same cap, then post and pool_attn_ln, no residual.
// Attention is written with explicit MatMuls so ORT fuses and runs it well on every provider.
import { asFloat32, type RawTensor } from './flax-msgpack.js';
import type { Architecture } from './architecture.js';
import { DT, GraphBuilder } from './onnx-writer.js';
import { CheckpointError } from './pickle.js';

export interface BuildOptions {
  /** add intermediate outputs (for golden comparisons); off in packs */
  expose?: boolean;
  /** CLIP LayerNorm as ORT's native op (default) or as explicit fast-variance ops */
  clipLayerNorm?: 'native' | 'explicit';
  /**
   * 'fp16': weights and activations of the image/text towers in float16 (for GPU providers; inputs and
   * outputs stay float32, cast inside the graph). The fusion head always stays float32: it is tiny and
   * its two-pass LayerNorm and tanh cap are where half precision would hurt.
   */
  precision?: 'fp32' | 'fp16';
}

export type TensorSource = (path: string) => RawTensor;

const FLT_MIN = -3.4028234663852886e38; // jnp.finfo(float32).min
const HALF_MIN = -65504; // the float16 equivalent (finfo(float16).min)

/** float32 → IEEE half, round to nearest even (Node 20 has no Float16Array). */
export function toHalf(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) { out[i] = sign | 0x7c00 | (mant ? 0x200 : 0); continue; }
    const e = exp - 127 + 15;
    if (e >= 0x1f) { out[i] = sign | 0x7c00; continue; }
    if (e <= 0) {
      if (e < -10) { out[i] = sign; continue; }
      mant |= 0x800000;
      const shift = 14 - e;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
      if (rem > half || (rem === half && (h & 1))) h++;
      out[i] = sign | h;
      continue;
    }
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
    out[i] = sign | h; // a carry into the exponent is the correct rounding (up to infinity)
  }
  return out;
}

class Ctx {
  readonly used = new Set<string>();
  readonly half: boolean;
  constructor(readonly g: GraphBuilder, private readonly src: TensorSource, readonly opts: BuildOptions, allowHalf = true) {
    this.half = allowHalf && opts.precision === 'fp16';
  }

  get ft(): typeof DT.FLOAT | typeof DT.FLOAT16 {
    return this.half ? DT.FLOAT16 : DT.FLOAT;
  }

  /** A float constant in the compute precision. */
  cf(values: number[], dims: number[] = []): string {
    if (!this.half) return this.g.constF32(values, dims);
    const h = toHalf(Float32Array.from(values));
    return this.g.init(this.g.fresh('c_h'), dims, DT.FLOAT16, h.byteLength, () => new Uint8Array(h.buffer));
  }

  /** Casts a float32 graph input into the compute precision (no-op in fp32). */
  toCompute(x: string): string {
    return this.half ? this.g.op('Cast', [x], { to: DT.FLOAT16 }) : x;
  }

  /** Casts a value back to float32 under the given output name. */
  toOutput(x: string, name: string): void {
    this.g.op(this.half ? 'Cast' : 'Identity', [x], this.half ? { to: DT.FLOAT } : {}, name);
  }

  tensor(path: string): RawTensor {
    const full = `params/${path}`;
    this.used.add(full);
    return this.src(full);
  }

  /** The parameter as stored (optionally reshaped; C-order bytes are unchanged by a reshape). */
  raw(path: string, dims?: number[]): string {
    const t = this.tensor(path);
    const shape = dims ?? t.shape;
    const n = shape.reduce((a, b) => a * b, 1);
    if (n * 4 !== t.bytes.length && t.bytes.length !== 0) throw new CheckpointError(`reshape of ${path} to [${shape.join(',')}] does not fit`);
    if (this.half) return this.g.init(path, shape, DT.FLOAT16, n * 2, () => { const h = toHalf(asFloat32(t)); return new Uint8Array(h.buffer); });
    return this.g.init(path, shape, DT.FLOAT, n * 4, () => t.bytes);
  }

  /** A parameter transformed on write (small tensors only). */
  derived(path: string, suffix: string, dims: number[], fn: (x: Float32Array, t: RawTensor) => Float32Array): string {
    const t = this.tensor(path);
    const n = dims.reduce((a, b) => a * b, 1);
    return this.g.init(`${path}:${suffix}`, dims, this.ft, n * (this.half ? 2 : 4), () => {
      const out = fn(asFloat32(t), t);
      if (this.half) return new Uint8Array(toHalf(out).buffer);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    });
  }

  expose(name: string, value: string, shape: (number | string)[]): void {
    if (!this.opts.expose) return;
    this.toOutput(value, name);
    this.g.output(name, DT.FLOAT, shape);
  }
}

function linear(c: Ctx, x: string, w: string, b?: string): string {
  const y = c.g.op('MatMul', [x, w]);
  return b ? c.g.op('Add', [y, b]) : y;
}

function clipLayerNorm(c: Ctx, x: string, prefix: string): string {
  const g = c.g;
  const scale = c.raw(`${prefix}/scale`);
  const bias = c.raw(`${prefix}/bias`);
  if ((c.opts.clipLayerNorm ?? 'native') === 'native') {
    return g.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { float: 1e-5 } });
  }
  const mean = g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
  const meanSq = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
  const v = g.op('Max', [g.op('Sub', [meanSq, g.op('Mul', [mean, mean])]), c.cf([0])]);
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [v, c.cf([1e-5])])])]);
  return g.op('Add', [g.op('Mul', [g.op('Mul', [g.op('Sub', [x, mean]), inv]), scale]), bias]);
}

/** MagicLens LayerNorm: two-pass variance, eps 1e-6, y*(1+scale)+bias. */
function mlLayerNorm(c: Ctx, x: string, prefix: string, dim: number): string {
  const g = c.g;
  const scale = c.derived(`${prefix}/scale`, 'one_plus', [dim], (s) => s.map((v) => 1 + v));
  const bias = c.raw(`${prefix}/bias`);
  const mean = g.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
  const d = g.op('Sub', [x, mean]);
  const v = g.op('ReduceMean', [g.op('Mul', [d, d])], { axes: [-1], keepdims: 1 });
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [v, c.cf([1e-6])])])]);
  return g.op('Add', [g.op('Mul', [g.op('Mul', [d, inv]), scale]), bias]);
}

/** [B,L,H*Dh] → [B,H,L,Dh] */
function splitHeads(c: Ctx, x: string, heads: number, dh: number): string {
  const r = c.g.op('Reshape', [x, c.g.constI64([0, 0, heads, dh])]);
  return c.g.op('Transpose', [r], { perm: [0, 2, 1, 3] });
}

/** [B,H,L,Dh] → [B,L,H*Dh] */
function mergeHeads(c: Ctx, x: string, width: number): string {
  const t = c.g.op('Transpose', [x], { perm: [0, 2, 1, 3] });
  return c.g.op('Reshape', [t, c.g.constI64([0, 0, width])]);
}

/** flax MultiHeadDotProductAttention as used by scenic CLIP (self-attention, optional boolean mask [B,1,L,L]). */
function clipAttention(c: Ctx, x: string, prefix: string, width: number, heads: number, mask?: string): string {
  const g = c.g;
  const dh = width / heads;
  const proj = (n: string) => linear(c, x, c.raw(`${prefix}/${n}/kernel`, [width, width]), c.raw(`${prefix}/${n}/bias`, [width]));
  const q = g.op('Div', [splitHeads(c, proj('query'), heads, dh), c.cf([Math.sqrt(dh)])]);
  const kT = g.op('Transpose', [g.op('Reshape', [proj('key'), g.constI64([0, 0, heads, dh])])], { perm: [0, 2, 3, 1] });
  const v = splitHeads(c, proj('value'), heads, dh);
  let logits = g.op('MatMul', [q, kT]);
  if (mask) logits = g.op('Where', [mask, logits, c.cf([c.half ? HALF_MIN : FLT_MIN])]);
  const p = g.op('Softmax', [logits], { axis: -1 });
  const o = mergeHeads(c, g.op('MatMul', [p, v]), width);
  return linear(c, o, c.raw(`${prefix}/out/kernel`, [width, width]), c.raw(`${prefix}/out/bias`));
}

function clipBlock(c: Ctx, x: string, prefix: string, width: number, heads: number, mlp: number, mask?: string): string {
  const g = c.g;
  const a = clipAttention(c, clipLayerNorm(c, x, `${prefix}/ln_1`), `${prefix}/attn`, width, heads, mask);
  const x1 = g.op('Add', [x, a]);
  const h = linear(c, clipLayerNorm(c, x1, `${prefix}/ln_2`), c.raw(`${prefix}/mlp/c_fc/kernel`), c.raw(`${prefix}/mlp/c_fc/bias`));
  // QuickGELU x*sigmoid(1.702x); ORT's 'all' optimisation fuses this pattern.
  const act = g.op('Mul', [h, g.op('Sigmoid', [g.op('Mul', [h, c.cf([1.702])])])]);
  const m = linear(c, act, c.raw(`${prefix}/mlp/c_proj/kernel`), c.raw(`${prefix}/mlp/c_proj/bias`));
  return g.op('Add', [x1, m]);
}

/** image.onnx: pixels [B,S,S,3] (normalised NHWC) → image_embed [B,D] */
export function buildImageGraph(a: Architecture, src: TensorSource, opts: BuildOptions = {}): { graph: GraphBuilder; used: Set<string> } {
  const g = new GraphBuilder('magiclens_image');
  const c = new Ctx(g, src, opts);
  const S = a.imageSize, p = a.patchSize, grid = S / p, W = a.visionWidth, N = grid * grid;
  const v = 'clip/visual';
  const pixelsIn = g.input('pixels', DT.FLOAT, ['batch', S, S, 3]);
  const pixels = c.toCompute(pixelsIn);
  // Patch conv (stride p, no bias) as a reshape + MatMul: the flax kernel [p,p,3,W] flattens in the
  // same (row, col, channel) order as each patch, so its bytes are used as they are.
  const patches = g.op('Reshape', [
    g.op('Transpose', [g.op('Reshape', [pixels, g.constI64([-1, grid, p, grid, p, 3])])], { perm: [0, 1, 3, 2, 4, 5] }),
    g.constI64([-1, N, p * p * 3]),
  ]);
  const emb = g.op('MatMul', [patches, c.raw(`${v}/conv1/kernel`, [p * p * 3, W])]);
  c.expose('conv1', emb, ['batch', N, W]);
  const batch = g.op('Slice', [g.op('Shape', [pixels]), g.constI64([0]), g.constI64([1])]);
  const clsShape = g.op('Concat', [batch, g.constI64([1, W])], { axis: 0 });
  const cls = g.op('Expand', [c.raw(`${v}/class_embedding`, [1, 1, W]), clsShape]);
  let x = g.op('Add', [g.op('Concat', [cls, emb], { axis: 1 }), c.raw(`${v}/positional_embedding`)]);
  x = clipLayerNorm(c, x, `${v}/ln_pre`);
  c.expose('ln_pre', x, ['batch', N + 1, W]);
  for (let i = 0; i < a.visionLayers; i++) x = clipBlock(c, x, `${v}/transformer/resblocks_${i}`, W, a.visionHeads, a.visionMlp);
  c.expose('transformer', x, ['batch', N + 1, W]);
  const tok0 = g.op('Gather', [x, g.constI64([0], [])], { axis: 1 });
  c.toOutput(g.op('MatMul', [clipLayerNorm(c, tok0, `${v}/ln_post`), c.raw(`${v}/proj/kernel`)]), 'image_embed');
  g.output('image_embed', DT.FLOAT, ['batch', a.embedDim]);
  return { graph: g, used: c.used };
}

/** text.onnx: ids int64 [B,L] (L ≤ contextLength, pad 0) → text_embed [B,D] pooled at argmax(ids). */
export function buildTextGraph(a: Architecture, src: TensorSource, opts: BuildOptions = {}): { graph: GraphBuilder; used: Set<string> } {
  const g = new GraphBuilder('magiclens_text');
  const c = new Ctx(g, src, opts);
  const W = a.textWidth;
  const t = 'clip/text';
  const ids = g.input('ids', DT.INT64, ['batch', 'tokens']);
  const len = g.op('Slice', [g.op('Shape', [ids]), g.constI64([1]), g.constI64([2])]);
  const pos = g.op('Slice', [c.raw(`${t}/positional_embedding`), g.constI64([0]), len, g.constI64([0])]);
  let x = g.op('Add', [g.op('Gather', [c.raw(`${t}/token_embedding/embedding`), ids], { axis: 0 }), pos]);
  // mask = (ids>0) for query and key, and causal — exactly scenic's combine_masks(...).
  const valid = g.op('Greater', [ids, g.constI64([0], [])]);
  const qMask = g.op('Unsqueeze', [valid, g.constI64([1, 3])]); // [B,1,L,1]
  const kMask = g.op('Unsqueeze', [valid, g.constI64([1, 2])]); // [B,1,1,L]
  const lenScalar = g.op('Squeeze', [len, g.constI64([0])]);
  const r = g.op('Range', [g.constI64([0], []), lenScalar, g.constI64([1], [])]);
  const causal = g.op('GreaterOrEqual', [g.op('Unsqueeze', [r, g.constI64([1])]), g.op('Unsqueeze', [r, g.constI64([0])])]); // [L,L] i>=j
  const mask = g.op('And', [g.op('And', [qMask, kMask]), causal]);
  for (let i = 0; i < a.textLayers; i++) x = clipBlock(c, x, `${t}/transformer/resblocks_${i}`, W, a.textHeads, a.textMlp, mask);
  c.expose('transformer', x, ['batch', 'tokens', W]);
  x = clipLayerNorm(c, x, `${t}/ln_final`);
  c.expose('ln_final', x, ['batch', 'tokens', W]);
  // EOT pooling at ids.argmax(-1) (first maximum; the EOT id is the largest). ids < 2^24, exact in float.
  const eot = g.op('ArgMax', [g.op('Cast', [ids], { to: DT.FLOAT })], { axis: 1, keepdims: 1, select_last_index: 0 }); // [B,1]
  const idx = g.op('Expand', [g.op('Unsqueeze', [eot, g.constI64([2])]), g.op('Concat', [g.op('Slice', [g.op('Shape', [ids]), g.constI64([0]), g.constI64([1])]), g.constI64([1, W])], { axis: 0 })]);
  const pooled = g.op('Squeeze', [g.op('GatherElements', [x, idx], { axis: 1 }), g.constI64([1])]);
  c.toOutput(g.op('MatMul', [pooled, c.raw(`${t}/text_projection/kernel`)]), 'text_embed');
  g.output('text_embed', DT.FLOAT, ['batch', a.embedDim]);
  return { graph: g, used: c.used };
}

/** MagicLens AttentionProjection 'post' weight [D,N,H] used as '...NH,DNH->...D' → MatMul by [N*H, D]. */
function postWeight(c: Ctx, path: string, D: number, NH: number): string {
  return c.derived(path, 'T', [NH, D], (w) => {
    const out = new Float32Array(NH * D);
    for (let d = 0; d < D; d++) for (let j = 0; j < NH; j++) out[j * D + d] = w[d * NH + j]!;
    return out;
  });
}

function cap50(c: Ctx, logits: string): string {
  const g = c.g;
  return g.op('Mul', [g.op('Tanh', [g.op('Div', [logits, c.cf([50])])]), c.cf([50])]);
}

/** fusion.onnx: image_embed [B,D], text_embed [B,D] → embedding (L2-normalised) and embedding_unnorm. */
export function buildFusionGraph(a: Architecture, src: TensorSource, opts: BuildOptions = {}): { graph: GraphBuilder; used: Set<string> } {
  const g = new GraphBuilder('magiclens_fusion');
  const c = new Ctx(g, src, opts, false);
  const D = a.embedDim;
  const img = g.input('image_embed', DT.FLOAT, ['batch', D]);
  const txt = g.input('text_embed', DT.FLOAT, ['batch', D]);
  const ax1 = g.constI64([1]);
  let x = g.op('Concat', [g.op('Unsqueeze', [img, ax1]), g.op('Unsqueeze', [txt, ax1])], { axis: 1 }); // [B,2,D]
  const Nf = a.fusionHeads, dhf = D / Nf;
  for (let i = 0; i < a.fusionLayers; i++) {
    const p = `multimodal_encoder/x_layers_${i}`;
    const xn = mlLayerNorm(c, x, `${p}/layer_norm`, D);
    const proj = (n: string) => linear(c, xn, c.raw(`${p}/self_attention/${n}/w`, [D, D]), c.raw(`${p}/self_attention/${n}/b`, [D]));
    const q = g.op('Mul', [splitHeads(c, proj('query'), Nf, dhf), c.cf([dhf ** -0.5])]);
    const kT = g.op('Transpose', [g.op('Reshape', [proj('key'), g.constI64([0, 0, Nf, dhf])])], { perm: [0, 2, 3, 1] });
    const v = splitHeads(c, proj('value'), Nf, dhf);
    const probs = g.op('Softmax', [cap50(c, g.op('MatMul', [q, kT]))], { axis: -1 });
    const enc = mergeHeads(c, g.op('MatMul', [probs, v]), D);
    const att = linear(c, enc, postWeight(c, `${p}/self_attention/post/w`, D, D), c.raw(`${p}/self_attention/post/b`));
    const h = g.op('Add', [att, x]);
    const f = mlLayerNorm(c, h, `${p}/ff_layer/layer_norm`, D);
    const f1 = g.op('Relu', [linear(c, f, c.raw(`${p}/ff_layer/ffn_layer1/linear/w`), c.raw(`${p}/ff_layer/ffn_layer1/bias/b`))]);
    const f2 = linear(c, f1, c.raw(`${p}/ff_layer/ffn_layer2/linear/w`), c.raw(`${p}/ff_layer/ffn_layer2/bias/b`));
    x = g.op('Add', [f2, h]);
    if (i === 0) c.expose('x_layers_0', x, ['batch', 2, D]);
  }
  c.expose('multimodal_encoder', x, ['batch', 2, D]);
  // Pooler: one learned query token attends over the two fused tokens.
  const pp = 'contrastive_multimodal_pooler';
  const Np = a.poolerHeads, dhp = a.poolerHeadDim, HP = Np * dhp;
  const pq = linear(c, c.raw(`${pp}/pooling_attn_query`, [1, 1, D]), c.raw(`${pp}/pool_attn/query/w`, [D, HP]), c.raw(`${pp}/pool_attn/query/b`, [HP]));
  const scale = c.derived(`${pp}/pool_attn/per_dim_scale/per_dim_scale`, 'scale', [dhp], (s) => {
    const base = Math.fround(1.442695041 / Math.sqrt(dhp));
    // jax.nn.softplus = logaddexp(x, 0), computed here in double and rounded once
    return s.map((v) => Math.fround(base * Math.fround(Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))))));
  });
  const q = g.op('Mul', [splitHeads(c, pq, Np, dhp), scale]); // [1,Np,1,dhp]
  const kp = linear(c, x, c.raw(`${pp}/pool_attn/key/w`, [D, HP]), c.raw(`${pp}/pool_attn/key/b`, [HP]));
  const vp = linear(c, x, c.raw(`${pp}/pool_attn/value/w`, [D, HP]), c.raw(`${pp}/pool_attn/value/b`, [HP]));
  const kT = g.op('Transpose', [g.op('Reshape', [kp, g.constI64([0, 0, Np, dhp])])], { perm: [0, 2, 3, 1] });
  const probs = g.op('Softmax', [cap50(c, g.op('MatMul', [q, kT]))], { axis: -1 }); // [B,Np,1,2]
  c.expose('pool_probs', probs, ['batch', Np, 1, 2]);
  const enc = mergeHeads(c, g.op('MatMul', [probs, splitHeads(c, vp, Np, dhp)]), HP); // [B,1,HP]
  const pooled = linear(c, enc, postWeight(c, `${pp}/pool_attn/post/w`, D, HP), c.raw(`${pp}/pool_attn/post/b`));
  c.expose('pool_attn', pooled, ['batch', 1, D]);
  const y = g.op('Squeeze', [mlLayerNorm(c, pooled, `${pp}/pool_attn_ln`, D), ax1], {}, 'embedding_unnorm');
  const norm = g.op('Sqrt', [g.op('Add', [g.op('ReduceSum', [g.op('Mul', [y, y]), g.constI64([-1])], { keepdims: 1 }), c.cf([1e-12])])]);
  g.op('Div', [y, norm], {}, 'embedding');
  g.output('embedding', DT.FLOAT, ['batch', D]);
  g.output('embedding_unnorm', DT.FLOAT, ['batch', D]);
  return { graph: g, used: c.used };
}
