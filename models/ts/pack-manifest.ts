// Model-pack manifest (format 1): the pack contract in models/README.md, with a runtime schema (zod) so a
// hand-edited or damaged manifest is reported precisely instead of crashing later.
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const ManifestSchema = z.object({
  format: z.literal(1),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'id must be lower-case letters, digits, . _ -'),
  name: z.string().min(1),
  demo: z.boolean(),
  description: z.string(),
  source: z.string(),
  licence: z.string(),
  createdAt: z.string(),
  architecture: z.object({
    embedDim: positiveInt, imageSize: positiveInt, patchSize: positiveInt, visionWidth: positiveInt,
    visionLayers: positiveInt, visionHeads: positiveInt, textWidth: positiveInt, textLayers: positiveInt,
    textHeads: positiveInt, contextLength: positiveInt, vocabSize: positiveInt, fusionLayers: positiveInt,
    fusionHeads: positiveInt, ffnHidden: positiveInt, poolerHeads: positiveInt,
  }).passthrough(),
  image: z.object({
    size: positiveInt,
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    preprocessing: z.enum(['squash', 'center-crop']),
    layout: z.literal('NHWC'),
  }),
  tokenizer: z.object({ file: z.string().min(1), sot: z.number().int(), eot: z.number().int(), pad: z.literal(0), contextLength: z.literal(77) }),
  files: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() })),
  /** optional alternative graphs, e.g. { fp16: { 'image.onnx': 'image.fp16.onnx', 'text.onnx': 'text.fp16.onnx' } } for GPU providers */
  variants: z.record(z.string(), z.record(z.string(), z.string())).optional(),
}).passthrough();

export type Manifest = z.infer<typeof ManifestSchema>;

export const REQUIRED_FILES = ['image.onnx', 'text.onnx', 'fusion.onnx'] as const;

export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];
