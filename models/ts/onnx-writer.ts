// A tiny ONNX graph builder on the `onnx-proto` protobuf definitions, with a streaming writer.
// Hand-built because no npm library builds ONNX graphs from Flax parameters (the usual route is
// Python: jax2onnx/tf2onnx/torch.onnx), and the app must convert the official checkpoint without Python.
// The writer streams each initializer's bytes straight from the checkpoint buffer into the file: the
// protobuf framing (tags + lengths) is computed by hand so no encoded copy of the weights is ever held.
import fs from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type OnnxNS = typeof onnx;

export const DT = { FLOAT: 1, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
export type ElemType = (typeof DT)[keyof typeof DT];

export interface Initializer {
  name: string;
  dims: number[];
  dataType: ElemType;
  byteLength: number;
  /** produces the little-endian bytes on demand (only when written) */
  data: () => Uint8Array;
}

type Attr = number | number[] | string | { floats: number[] } | { float: number };

export interface GraphIO { name: string; elemType: ElemType; shape: (number | string)[] }

export class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: GraphIO[] = [];
  readonly outputs: GraphIO[] = [];
  private counter = 0;
  private readonly names = new Set<string>();
  constructor(readonly name: string) {}

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, elemType: ElemType, shape: (number | string)[]): string {
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  output(name: string, elemType: ElemType, shape: (number | string)[]): void {
    this.outputs.push({ name, elemType, shape });
  }

  /** Adds a node; returns its (first) output name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string, nOut = 1): string {
    const outs = outName ? [outName] : [];
    while (outs.length < nOut) outs.push(this.fresh(opType.toLowerCase()));
    const attribute: onnxProto.onnx.IAttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) {
      const T = onnx.AttributeProto.AttributeType;
      if (typeof v === 'number') attribute.push(Number.isInteger(v) ? { name: k, type: T.INT, i: v } : { name: k, type: T.FLOAT, f: v });
      else if (typeof v === 'string') attribute.push({ name: k, type: T.STRING, s: Buffer.from(v) });
      else if (Array.isArray(v)) attribute.push({ name: k, type: T.INTS, ints: v });
      else if ('float' in v) attribute.push({ name: k, type: T.FLOAT, f: v.float });
      else attribute.push({ name: k, type: T.FLOATS, floats: v.floats });
    }
    this.nodes.push({ opType, input: inputs, output: outs, name: `${opType}_${this.nodes.length}`, attribute });
    return outs[0]!;
  }

  /** Second and later outputs of the last node. */
  lastOutputs(): string[] {
    return (this.nodes[this.nodes.length - 1]!.output ?? []) as string[];
  }

  init(name: string, dims: number[], dataType: ElemType, byteLength: number, data: () => Uint8Array): string {
    if (this.names.has(name)) throw new Error(`duplicate initializer ${name}`);
    this.names.add(name);
    this.initializers.push({ name, dims, dataType, byteLength, data });
    return name;
  }

  constF32(values: number[] | Float32Array, dims: number[] = [values.length], hint = 'c'): string {
    const a = Float32Array.from(values);
    return this.init(this.fresh(`${hint}_f`), dims, DT.FLOAT, a.byteLength, () => new Uint8Array(a.buffer));
  }

  constI64(values: number[], dims: number[] = [values.length], hint = 'c'): string {
    const a = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.init(this.fresh(`${hint}_i`), dims, DT.INT64, a.byteLength, () => new Uint8Array(a.buffer));
  }
}

function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) { n = Math.floor(n / 128); len++; }
  return len;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 128) { out.push((n % 128) | 128); n = Math.floor(n / 128); }
  out.push(n);
  return Buffer.from(out);
}

function valueInfo(io: GraphIO): onnxProto.onnx.IValueInfoProto {
  return {
    name: io.name,
    type: {
      tensorType: {
        elemType: io.elemType,
        shape: { dim: io.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface WriteStats { bytes: number; initializerBytes: number }

/**
 * Writes the model as one protobuf file. Layout: ModelProto header fields, then field 7 (graph) whose
 * body is the encoded graph without initializers followed by one field-5 entry per initializer:
 * TensorProto(dims, data_type, name) + field 9 raw_data. Protobuf allows fields in any order and
 * repeated fields to be split, so this is an ordinary ONNX file.
 */
export function writeModel(g: GraphBuilder, file: string, opts: { producer?: string; docString?: string } = {}): WriteStats {
  const graphHead = onnx.GraphProto.encode({
    name: g.name,
    node: g.nodes,
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  }).finish();
  const inits = g.initializers.map((t) => {
    const head = onnx.TensorProto.encode({ name: t.name, dims: t.dims, dataType: t.dataType }).finish();
    const bodyLen = head.length + 1 + varintLen(t.byteLength) + t.byteLength;
    return { t, head, bodyLen };
  });
  let graphLen = graphHead.length;
  for (const i of inits) graphLen += 1 + varintLen(i.bodyLen) + i.bodyLen;
  const modelHead = onnx.ModelProto.encode({
    irVersion: 8,
    producerName: opts.producer ?? 'magiclens-desktop',
    docString: opts.docString ?? '',
    opsetImport: [{ domain: '', version: 17 }],
  }).finish();

  const fd = fs.openSync(file, 'w');
  let written = 0;
  let initBytes = 0;
  const put = (b: Uint8Array) => {
    let off = 0;
    while (off < b.length) off += fs.writeSync(fd, b, off, Math.min(b.length - off, 1 << 26));
    written += b.length;
  };
  try {
    put(modelHead);
    put(Buffer.from([(7 << 3) | 2]));
    put(varint(graphLen));
    put(graphHead);
    for (const { t, head, bodyLen } of inits) {
      put(Buffer.from([(5 << 3) | 2]));
      put(varint(bodyLen));
      put(head);
      put(Buffer.from([(9 << 3) | 2]));
      put(varint(t.byteLength));
      const data = t.data();
      if (data.length !== t.byteLength) throw new Error(`initializer ${t.name}: expected ${t.byteLength} bytes, got ${data.length}`);
      put(data);
      initBytes += data.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: written, initializerBytes: initBytes };
}
