// int8 image tower, made from the converter's float32 graph without Python. Every MatMul whose weight is
// a 2-D float32 initializer becomes com.microsoft DynamicQuantizeMatMul: weights int8, symmetric, one
// scale per output column (per-channel: CLIP's weights have columns of very different range, and one
// scale per tensor would crush the small ones); activations quantised to uint8 per call by ORT (dynamic:
// no calibration set needed, so the graph can be built at install time before any photo is seen).
// On x86 with AVX-512 VNNI / AMX, ORT's u8s8 GEMM runs these at several times the float32 rate. The
// attention products (activation × activation) stay float32. Chosen over static (QDQ with calibration)
// because static needs calibration photos at install and fixes activation ranges that a user's photos
// may exceed; the fidelity self-check (app/model/selfcheck.ts) decides on the user's photos instead.
import fs from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = 1;
const INT8 = 3;

export interface QuantizeOptions {
  /** initializers whose name matches are left float32 (for experiments) */
  skip?: RegExp;
  /**
   * Test hook: add this much noise (in units of each column's quantisation step) to the int8 weights,
   * to make a deliberately degraded graph for the self-check's tests. 0 (default) = honest rounding.
   */
  degrade?: number;
}

export interface QuantizeReport { matmuls: number; quantised: number; bytesIn: number; bytesOut: number }

function weightsOf(t: onnxProto.onnx.ITensorProto): Float32Array {
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const copy = new Uint8Array(raw.length);
    copy.set(raw);
    return new Float32Array(copy.buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Per-column symmetric int8: scale[n] = max_k |W[k,n]| / 127, q = round(W / scale). */
export function quantisePerColumn(w: Float32Array, K: number, N: number, degrade = 0): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) scale[n] = Math.max(scale[n]!, Math.abs(w[k * N + n]!));
  for (let n = 0; n < N; n++) scale[n] = scale[n]! > 0 ? scale[n]! / 127 : 1;
  const q = new Int8Array(K * N);
  let s = 12345;
  for (let i = 0; i < K * N; i++) {
    let v = w[i]! / scale[i % N]!;
    if (degrade > 0) {
      s = (s * 1103515245 + 12345) >>> 0;
      v += ((s / 0x100000000) * 2 - 1) * degrade;
    }
    q[i] = Math.max(-127, Math.min(127, Math.round(v)));
  }
  return { q, scale };
}

function tensor(name: string, dims: number[], dataType: number, bytes: Uint8Array): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType, rawData: bytes };
}

/** Reads a float32 ONNX graph and writes its int8 (dynamic, per-channel) twin. */
export function quantizeGraph(inFile: string, outFile: string, opts: QuantizeOptions = {}): QuantizeReport {
  const bytesIn = fs.statSync(inFile).size;
  const model = onnx.ModelProto.decode(fs.readFileSync(inFile));
  const graph = model.graph!;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const uses = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) uses.set(i, (uses.get(i) ?? 0) + 1);
  const drop = new Set<string>();
  const added: onnxProto.onnx.ITensorProto[] = [];
  let matmuls = 0, quantised = 0;
  for (const node of graph.node ?? []) {
    if (node.opType !== 'MatMul') continue;
    matmuls++;
    const wName = node.input![1]!;
    const t = inits.get(wName);
    if (!t || t.dataType !== FLOAT || t.dims?.length !== 2 || (opts.skip && opts.skip.test(wName))) continue;
    const K = Number(t.dims[0]), N = Number(t.dims[1]);
    const { q, scale } = quantisePerColumn(weightsOf(t), K, N, opts.degrade ?? 0);
    const qName = `${wName}:int8`;
    added.push(tensor(qName, [K, N], INT8, new Uint8Array(q.buffer)));
    added.push(tensor(`${wName}:scale`, [N], FLOAT, new Uint8Array(scale.buffer)));
    added.push(tensor(`${wName}:zero`, [N], INT8, new Uint8Array(N)));
    if (uses.get(wName) === 1) drop.add(wName);
    node.opType = 'DynamicQuantizeMatMul';
    node.domain = 'com.microsoft';
    node.input = [node.input![0]!, qName, `${wName}:scale`, `${wName}:zero`];
    quantised++;
  }
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !drop.has(t.name!)), ...added];
  model.opsetImport = [...(model.opsetImport ?? []).filter((o) => o.domain !== 'com.microsoft'), { domain: 'com.microsoft', version: 1 }];
  model.producerName = 'magiclens-desktop (int8)';
  const out = onnx.ModelProto.encode(model).finish();
  const tmp = `${outFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, out);
  fs.renameSync(tmp, outFile);
  return { matmuls, quantised, bytesIn, bytesOut: out.length };
}
