// Checkpoint + CLIP BPE vocabulary → model pack folder (manifest.json, image/text/fusion.onnx, vocab).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readCheckpoint, type Checkpoint } from './checkpoint.js';
import { buildFusionGraph, buildImageGraph, buildTextGraph, type BuildOptions } from './magiclens-graphs.js';
import { writeModel } from './onnx-writer.js';
import { CheckpointError } from './pickle.js';
import { CLIP_MEAN, CLIP_STD, type Manifest } from './pack-manifest.js';
import { readBpeMerges, vocabSizeFor } from './bpe-vocab.js';

export interface ConvertOptions {
  checkpoint: string;
  vocab: string;
  outDir: string;
  id: string;
  name: string;
  demo?: boolean;
  description?: string;
  source?: string;
  licence?: string;
  preprocessing?: 'squash' | 'center-crop';
  build?: BuildOptions;
  /** also write float16 image/text towers (image.fp16.onnx, text.fp16.onnx) for GPU providers */
  fp16?: boolean;
  onProgress?: (p: { step: string; done: number; total: number }) => void;
}

export async function sha256File(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Builds the three graphs from a parsed checkpoint into dir; returns which params were used. */
export function writeGraphs(ck: Checkpoint, dir: string, build: BuildOptions = {}, onStep?: (name: string, i: number) => void, suffix = ''): Set<string> {
  const src = (p: string) => {
    const t = ck.tensors.get(p);
    if (!t) throw new CheckpointError(`checkpoint is missing key ${p}`);
    return t;
  };
  const used = new Set<string>();
  const builders = suffix
    ? ([[`image${suffix}.onnx`, buildImageGraph], [`text${suffix}.onnx`, buildTextGraph]] as const)
    : ([['image.onnx', buildImageGraph], ['text.onnx', buildTextGraph], ['fusion.onnx', buildFusionGraph]] as const);
  builders.forEach(([file, fn], i) => {
    onStep?.(file, i);
    const { graph, used: u } = fn(ck.architecture, src, build);
    writeModel(graph, path.join(dir, file), { docString: 'MagicLens (google-deepmind/magiclens) converted by magiclens-desktop' });
    for (const k of u) used.add(k);
  });
  return used;
}

export async function convertCheckpoint(o: ConvertOptions): Promise<Manifest> {
  const progress = o.onProgress ?? (() => {});
  const total = o.fp16 ? 7 : 6;
  progress({ step: 'read checkpoint', done: 0, total });
  const ck = readCheckpoint(o.checkpoint);
  const merges = readBpeMerges(o.vocab);
  const vocabSize = vocabSizeFor(merges.length);
  if (vocabSize !== ck.architecture.vocabSize) {
    throw new CheckpointError(`vocabulary ${path.basename(o.vocab)} gives ${vocabSize} tokens but the checkpoint's token embedding has ${ck.architecture.vocabSize} rows`);
  }
  if (ck.architecture.contextLength !== 77) throw new CheckpointError(`text context length ${ck.architecture.contextLength}; MagicLens uses 77`);
  fs.mkdirSync(o.outDir, { recursive: true });
  writeGraphs(ck, o.outDir, o.build, (name, i) => progress({ step: `write ${name}`, done: i + 1, total }));
  const graphFiles = ['image.onnx', 'text.onnx', 'fusion.onnx'];
  let variants: Manifest['variants'];
  if (o.fp16) {
    progress({ step: 'write float16 towers', done: 4, total });
    writeGraphs(ck, o.outDir, { ...o.build, precision: 'fp16' }, undefined, '.fp16');
    graphFiles.push('image.fp16.onnx', 'text.fp16.onnx');
    variants = { fp16: { 'image.onnx': 'image.fp16.onnx', 'text.onnx': 'text.fp16.onnx' } };
  }
  const vocabName = 'bpe_vocab.txt.gz';
  fs.writeFileSync(path.join(o.outDir, vocabName), fs.readFileSync(o.vocab)); // not copyFile: keep our own file mode
  progress({ step: 'hash files', done: total - 2, total });
  const files: Manifest['files'] = {};
  for (const f of [...graphFiles, vocabName]) {
    const p = path.join(o.outDir, f);
    files[f] = { sha256: await sha256File(p), bytes: fs.statSync(p).size };
  }
  const a = ck.architecture;
  const manifest: Manifest = {
    format: 1,
    id: o.id,
    name: o.name,
    demo: o.demo ?? false,
    description: o.description ?? '',
    source: o.source ?? path.basename(o.checkpoint),
    licence: o.licence ?? 'Apache-2.0 (code) / CC-BY-4.0 (weights), google-deepmind/magiclens; CLIP BPE vocabulary MIT (openai/CLIP)',
    createdAt: new Date().toISOString(),
    architecture: {
      embedDim: a.embedDim, imageSize: a.imageSize, patchSize: a.patchSize, visionWidth: a.visionWidth,
      visionLayers: a.visionLayers, visionHeads: a.visionHeads, textWidth: a.textWidth, textLayers: a.textLayers,
      textHeads: a.textHeads, contextLength: a.contextLength, vocabSize: a.vocabSize, fusionLayers: a.fusionLayers,
      fusionHeads: a.fusionHeads, ffnHidden: a.ffnHidden, poolerHeads: a.poolerHeads,
    },
    image: { size: a.imageSize, mean: CLIP_MEAN, std: CLIP_STD, preprocessing: o.preprocessing ?? 'squash', layout: 'NHWC' },
    tokenizer: { file: vocabName, sot: vocabSize - 2, eot: vocabSize - 1, pad: 0, contextLength: 77 },
    files,
    ...(variants ? { variants } : {}),
  };
  fs.writeFileSync(path.join(o.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  progress({ step: 'done', done: total, total });
  return manifest;
}
