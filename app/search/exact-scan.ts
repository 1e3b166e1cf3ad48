// Exact inner-product scan of an (n × dim) float32 matrix on ONNX Runtime's CPU provider.
// Why ORT: its Gemm with transB and M = 1 runs MLAS's SGEMV kernel (AVX2/AVX-512, split across the
// intra-op thread pool), the same class of code numpy's BLAS runs for `X @ q`; a JS loop is ~15×
// slower and sqlite-vec's cosine path has no SIMD (bench/README.md "Exact KNN", measured).
// The graph is three nodes built in memory (onnx-proto, as models/ts does): scores = q·Xᵀ, then
// TopK. onnxruntime-node hands a typed array's memory to ORT without copying it, so the mirror is
// scanned where it lies. `run` blocks the calling thread for the scan (≈ 80 ms at 1M × 512).
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT64 = 7;

function io(name: string, elemType: number, shape: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}

/** The scan graph for one dim: inputs X [n, dim], q [1, dim], k [1]; outputs scores [1, n] (and top k). */
function scanModel(dim: number, withTopK: boolean): Uint8Array {
  const node: onnxProto.onnx.INodeProto[] = [
    { opType: 'Gemm', input: ['q', 'X'], output: ['scores'], name: 'gemv', attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
  ];
  const output = [io('scores', FLOAT, [1, 'n'])];
  const input = [io('X', FLOAT, ['n', dim]), io('q', FLOAT, [1, dim])];
  if (withTopK) {
    input.push(io('k', INT64, [1]));
    node.push({ opType: 'TopK', input: ['scores', 'k'], output: ['values', 'indices'], name: 'topk', attribute: [
      { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 },
      { name: 'largest', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
      { name: 'sorted', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
    ] });
    output.length = 0;
    output.push(io('values', FLOAT, [1, 'k']), io('indices', INT64, [1, 'k']));
  }
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'magiclens-desktop exact-scan',
    opsetImport: [{ domain: '', version: 17 }],
    graph: { name: 'scan', node, input, output },
  }).finish();
}

export interface TopK {
  /** row indices into the matrix, best first */
  rows: Int32Array;
  /** their inner products with q */
  scores: Float32Array;
}

/** One pair of ORT sessions per dim (scan + TopK, scan only), made once and shared. */
export class ExactScanner {
  private constructor(
    readonly dim: number,
    private readonly topk: ort.InferenceSession,
    private readonly scan: ort.InferenceSession,
  ) {}

  static async create(dim: number, threads = Math.max(1, (os.availableParallelism?.() ?? os.cpus().length))): Promise<ExactScanner> {
    const so: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
    const [a, b] = await Promise.all([ort.InferenceSession.create(scanModel(dim, true), so), ort.InferenceSession.create(scanModel(dim, false), so)]);
    return new ExactScanner(dim, a, b);
  }

  private inputs(x: Float32Array, n: number, q: Float32Array): Record<string, ort.Tensor> {
    if (q.length !== this.dim) throw new Error(`query has dim ${q.length}, scanner ${this.dim}`);
    const view = x.length === n * this.dim ? x : x.subarray(0, n * this.dim);
    return { X: new ort.Tensor('float32', view, [n, this.dim]), q: new ort.Tensor('float32', q, [1, this.dim]) };
  }

  /** The k largest q·x over the first n rows of x, best first (ties: ORT keeps the lower index first). */
  async topK(x: Float32Array, n: number, q: Float32Array, k: number): Promise<TopK> {
    const kk = Math.min(k, n);
    if (kk <= 0) return { rows: new Int32Array(0), scores: new Float32Array(0) };
    const out = await this.topk.run({ ...this.inputs(x, n, q), k: new ort.Tensor('int64', BigInt64Array.of(BigInt(kk)), [1]) });
    const idx = out.indices!.data as BigInt64Array;
    return { rows: Int32Array.from(idx, (v) => Number(v)), scores: Float32Array.from(out.values!.data as Float32Array) };
  }

  /** q·x for each of the first n rows (for candidate-restricted searches). */
  async scores(x: Float32Array, n: number, q: Float32Array): Promise<Float32Array> {
    if (n === 0) return new Float32Array(0);
    const out = await this.scan.run(this.inputs(x, n, q));
    return out.scores!.data as Float32Array;
  }

  async close(): Promise<void> {
    await Promise.all([this.topk.release(), this.scan.release()]);
  }
}
