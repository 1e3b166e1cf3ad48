// golden_tiny.json, the reference outputs the official JAX code wrote for the tiny checkpoint, typed for
// the fields `magiclens model verify --golden` and the tests read. Nested arrays are read through `flat`.
import fs from 'node:fs';
import path from 'node:path';

export type NestedNumbers = number | NestedNumbers[];

/** An image as a model variant saw it: its preprocessed input and CLIP image embedding. */
export interface GoldenModelImage {
  name: string;
  preprocessed_32x32x3: NestedNumbers;
  clip_image_embed: number[];
}

export interface GoldenImage extends GoldenModelImage {
  png: string;
  /** [height, width] */
  hw: [number, number];
  raw_uint8_hwc: NestedNumbers;
  process_img_224: { sum: number; max: number; sample_rows_cols_0_to_223_step_8: NestedNumbers };
}

/** Image i × text j, in the order image-major (pair p = image p>>2, text p%4). */
export interface GoldenPair {
  image: number;
  text: number;
  multimodal_embed: number[];
  multimodal_embed_norm: number[];
}

export type GoldenIntermediate =
  | 'clip/visual/conv1 [img,4,4,48]'
  | 'clip/visual/ln_pre [img,17,48]'
  | 'clip/visual/transformer [img,17,48]'
  | 'clip/text/transformer [txt,77,16]'
  | 'clip/text/ln_final [txt,77,16]'
  | 'multimodal_encoder/x_layers_0 out [pair,2,32]'
  | 'multimodal_encoder out [pair,2,32]'
  | 'contrastive_multimodal_pooler/pool_attn encoded [pair,1,32]'
  | 'contrastive_multimodal_pooler/pool_attn probs [pair,heads2,1,2]';

export interface GoldenTiny {
  texts: string[];
  /** Padded to the context length (77). */
  token_ids: number[][];
  token_lengths_incl_sot_eot: number[];
  images: GoldenImage[];
  text_embeds: number[][];
  pairs: GoldenPair[];
  /** The same images through the center-crop preprocessing. */
  direct_variant: { images: GoldenModelImage[]; pairs: GoldenPair[] };
  /** One entry per image, text or pair, as the key's bracket says. */
  intermediates_pipe_batched: Record<GoldenIntermediate, NestedNumbers[]>;
}

export function readGolden(dir: string): GoldenTiny {
  return JSON.parse(fs.readFileSync(path.join(dir, 'golden_tiny.json'), 'utf8')) as GoldenTiny;
}
