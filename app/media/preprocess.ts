// Model input tensors. Two pipelines, both exact to the official code:
//  'squash'      — MagicLens's evaluation pipeline (data_utils.process_img): x / max(x) over the whole image,
//                  bilinear+antialias resize straight to 224×224 (aspect ratio NOT kept), then the
//                  model's own resize to its input size (identity for the real models), CLIP mean/std.
//  'center-crop' — the model's own path (MagicLens._preprocess_images on x/255): largest centred square,
//                  bilinear+antialias resize to the input size, CLIP mean/std.
// The resize is jax.image.resize(method='bilinear', antialias=True), re-implemented (no JS library
// matches it: sharp/libvips shrink with box filters and their own kernels): a separable triangle
// kernel with half-pixel centres, widened by 1/scale when downsampling, weights renormalised per output,
// no edge clamping, unchanged dimensions skipped. Images are decoded by sharp with EXIF rotation first.
import fs from 'node:fs';
import { orient, pickPreview, primaryImage } from './embedded-preview.js';
import { loadSharp } from './sharp-lazy.js';

export interface PreprocessSpec {
  size: number;
  mean: readonly [number, number, number] | number[];
  std: readonly [number, number, number] | number[];
  mode: 'squash' | 'center-crop';
}

export interface RgbImage { data: Uint8Array; width: number; height: number; channels: 3 }

/** The official evaluation pipeline resizes every image to this size first (data_utils.process_img(…, 224)). */
export const PROCESS_IMG_SIZE = 224;

export function specFromManifest(m: { image: { size: number; mean: number[] | readonly number[]; std: number[] | readonly number[]; preprocessing: 'squash' | 'center-crop' } }, mode?: 'squash' | 'center-crop'): PreprocessSpec {
  return { size: m.image.size, mean: [...m.image.mean] as number[], std: [...m.image.std] as number[], mode: mode ?? m.image.preprocessing };
}

interface AxisWeights { start: Int32Array; count: Int32Array; weights: Float32Array; taps: number }

/** jax.image compute_weight_mat for the triangle kernel, stored sparsely per output index. */
function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = outSize / inSize;
  const inv = 1 / scale;
  const kernelScale = Math.max(inv, 1);
  const radius = kernelScale; // triangle support is |x| < 1 in kernel units
  const taps = Math.ceil(2 * radius) + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  const eps = 1000 * 1.1920928955078125e-7;
  for (let o = 0; o < outSize; o++) {
    const sample = (o + 0.5) * inv - 0.5;
    if (!(sample >= -0.5 && sample <= inSize - 0.5)) { start[o] = 0; count[o] = 0; continue; }
    const lo = Math.max(0, Math.floor(sample - radius));
    const hi = Math.min(inSize - 1, Math.ceil(sample + radius));
    let sum = 0;
    const w: number[] = [];
    for (let i = lo; i <= hi; i++) {
      const x = Math.abs(sample - i) / kernelScale;
      const k = Math.max(0, 1 - x);
      w.push(k);
      sum += k;
    }
    start[o] = lo;
    count[o] = w.length;
    for (let j = 0; j < w.length; j++) weights[o * taps + j] = Math.abs(sum) > eps ? w[j]! / sum : 0;
  }
  return { start, count, weights, taps };
}

/**
 * Resizes an interleaved [h,w,c] float image like jax.image.resize(..., 'bilinear', antialias=True).
 * Rows first, then columns (jax contracts the spatial dims in order).
 */
export function resizeBilinearAA(src: Float32Array, h: number, w: number, c: number, outH: number, outW: number): Float32Array {
  let cur = src;
  let curH = h;
  if (outH !== h) {
    const from = cur;
    cur = rowPass(h, w * c, outH, (out, base, srcBase, wt, rowLen) => {
      for (let k = 0; k < rowLen; k++) out[base + k]! += wt * from[srcBase + k]!;
    });
    curH = outH;
  }
  if (outW !== w) {
    const aw = axisWeights(w, outW);
    const out = new Float32Array(curH * outW * c);
    for (let y = 0; y < curH; y++) {
      const rowIn = y * w * c, rowOut = y * outW * c;
      for (let o = 0; o < outW; o++) {
        const s = aw.start[o]!, n = aw.count[o]!, wo = o * aw.taps;
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += aw.weights[wo + j]! * cur[rowIn + (s + j) * c + ch]!;
          out[rowOut + o * c + ch] = acc;
        }
      }
    }
    cur = out;
  }
  return cur === src ? src.slice() : cur;
}

function normalise(x: Float32Array, spec: PreprocessSpec): Float32Array {
  const m0 = spec.mean[0]!, m1 = spec.mean[1]!, m2 = spec.mean[2]!;
  const s0 = spec.std[0]!, s1 = spec.std[1]!, s2 = spec.std[2]!;
  for (let i = 0; i < x.length; i += 3) {
    x[i] = (x[i]! - m0) / s0;
    x[i + 1] = (x[i + 1]! - m1) / s1;
    x[i + 2] = (x[i + 2]! - m2) / s2;
  }
  return x;
}

function checkRgb(rgb: RgbImage): void {
  if (rgb.channels !== 3 || rgb.data.length !== rgb.width * rgb.height * 3 || rgb.width < 1 || rgb.height < 1) {
    throw new Error(`expected RGB pixels ${rgb.width}x${rgb.height}x3, got ${rgb.data.length} bytes with ${rgb.channels} channels`);
  }
}

/** The official evaluation pipeline's 224×224 image (process_img), values in [0,1]. */
export function processImg224(rgb: RgbImage, maxValue?: number): Float32Array {
  checkRgb(rgb);
  let max = maxValue ?? 0;
  if (maxValue === undefined) for (let i = 0; i < rgb.data.length; i++) if (rgb.data[i]! > max) max = rgb.data[i]!;
  const div = Math.fround(max + 1e-12);
  // A byte has 256 values: their float32 quotients, looked up, are bit for bit what dividing each pixel
  // gives, and the row pass reads the bytes through this table instead of a converted copy of the whole
  // image (a 896×672 copy cost more than both resize passes together).
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = v / div;
  if (rgb.height === PROCESS_IMG_SIZE) {
    const x = new Float32Array(rgb.data.length);
    for (let i = 0; i < x.length; i++) x[i] = lut[rgb.data[i]!]!;
    return resizeBilinearAA(x, rgb.height, rgb.width, 3, PROCESS_IMG_SIZE, PROCESS_IMG_SIZE);
  }
  const rows = resizeRowsFromBytes(rgb.data, lut, rgb.height, rgb.width * 3, PROCESS_IMG_SIZE);
  return resizeBilinearAA(rows, PROCESS_IMG_SIZE, rgb.width, 3, PROCESS_IMG_SIZE, PROCESS_IMG_SIZE);
}

/**
 * The row pass of the resize: for each output row, the weighted source rows added in order into a float32
 * row (`add` does one source row; the weights and the accumulation order are jax's).
 */
function rowPass(h: number, rowLen: number, outH: number, add: (out: Float32Array, base: number, srcBase: number, wt: number, rowLen: number) => void): Float32Array {
  const aw = axisWeights(h, outH);
  const out = new Float32Array(outH * rowLen);
  for (let o = 0; o < outH; o++) {
    const s = aw.start[o]!, n = aw.count[o]!, wo = o * aw.taps;
    for (let j = 0; j < n; j++) {
      const wt = aw.weights[wo + j]!;
      if (wt !== 0) add(out, o * rowLen, (s + j) * rowLen, wt, rowLen);
    }
  }
  return out;
}

/** resizeBilinearAA's row pass over bytes mapped by lut (bit for bit the pass over the mapped floats). */
function resizeRowsFromBytes(data: Uint8Array, lut: Float32Array, h: number, rowLen: number, outH: number): Float32Array {
  return rowPass(h, rowLen, outH, (out, base, srcBase, wt, len) => {
    for (let k = 0; k < len; k++) out[base + k]! += wt * lut[data[srcBase + k]!]!;
  });
}

/** [S,S,3] normalised model input (NHWC without the batch dim). */
export function rgbToModelInput(rgb: RgbImage, spec: PreprocessSpec, opts: { maxValue?: number } = {}): Float32Array {
  checkRgb(rgb);
  const S = spec.size;
  if (spec.mode === 'squash') {
    // maxValue: the full-resolution image's maximum when rgb is a reduced copy (see preprocessImage)
    const x = processImg224(rgb, opts.maxValue);
    const y = S === PROCESS_IMG_SIZE ? x : resizeBilinearAA(x, PROCESS_IMG_SIZE, PROCESS_IMG_SIZE, 3, S, S);
    return normalise(y, spec);
  }
  // largest_square_crop: centred, offset (long - short) // 2 on the longer side
  const { width: w, height: h } = rgb;
  const size = Math.min(w, h);
  const top = h > w ? Math.floor((h - w) / 2) : 0;
  const left = w > h ? Math.floor((w - h) / 2) : 0;
  const x = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const srcRow = ((top + y) * w + left) * 3;
    for (let k = 0; k < size * 3; k++) x[y * size * 3 + k] = rgb.data[srcRow + k]! / 255;
  }
  return normalise(resizeBilinearAA(x, size, size, 3, S, S), spec);
}

export interface DecodeOptions {
  /**
   * Photos over `prescale`×224 px on the longer side are reduced before the exact resize: a JPEG by its
   * DCT scaling (reducedDecodeSide), other photos by libvips (linear kernel) to `prescale`×224 px. For a
   * photo decoded whole, the per-image maximum ('squash') and the centred square ('center-crop') are still
   * taken at full resolution. Default 4; the tolerance against the exact path is stated and measured in
   * app/index/README.md. 0 = bit-for-bit the official pipeline.
   */
  prescale?: number;
  /**
   * A large JPEG's embedded preview (EXIF or MPF) stands in for the photo when it is big enough and shows
   * the same picture (app/media/embedded-preview.ts). Default true; prescale 0 never uses one.
   */
  previews?: boolean;
}

export const DEFAULT_PRESCALE = 4;

/**
 * Non-JPEG photos above this many pixels are reduced while they decode (see reducedDecodeSide); below
 * it a whole decode (≤ 24 MP × ≤ 7 bytes, under the decode budget) keeps the exact per-image maximum.
 * HEIC is always decoded whole: its wasm decoder cannot stream.
 */
export const STREAM_ABOVE_PIXELS = 24_000_000;

/** Decodes (EXIF-rotated) RGB pixels with sharp; with maxSide, reduced to fit inside it (JPEG: shrink-on-load). */
export async function decodeRgb(input: string | Buffer, maxSide?: number): Promise<RgbImage> {
  // sequentialRead: libvips reads the file top to bottom once, so a reduction streams through it
  const sharp = await loadSharp();
  let img = sharp(input, { failOn: 'error', sequentialRead: true }).rotate();
  if (maxSide) img = img.resize({ width: maxSide, height: maxSide, fit: 'inside', kernel: 'linear', fastShrinkOnLoad: true });
  const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded image has ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

function maxOf(data: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) if (data[i]! > max) { max = data[i]!; if (max === 255) break; }
  return max;
}

async function reduce(rgb: RgbImage, maxSide: number): Promise<RgbImage> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize({ width: maxSide, height: maxSide, fit: 'inside', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

function centreSquare(rgb: RgbImage): RgbImage {
  const { width: w, height: h } = rgb;
  const size = Math.min(w, h);
  if (w === h) return rgb;
  const top = h > w ? Math.floor((h - w) / 2) : 0;
  const left = w > h ? Math.floor((w - h) / 2) : 0;
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) out.set(rgb.data.subarray(((top + y) * w + left) * 3, ((top + y) * w + left + size) * 3), y * size * 3);
  return { data: out, width: size, height: size, channels: 3 };
}

export async function preprocessImage(input: string | Buffer, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<Float32Array> {
  const sharp = await loadSharp();
  const main = Buffer.isBuffer(input) ? primaryImage(input) : input;
  const md = await sharp(main, { limitInputPixels: false }).metadata();
  const format = md.format === 'jpeg' ? 'jpeg' : String(md.format);
  const side = reducedDecodeSide(format, md.autoOrient ?? { width: md.width ?? 0, height: md.height ?? 0 }, spec, opts);
  if (side !== null && format === 'jpeg') {
    const buf = typeof input === 'string' ? await fs.promises.readFile(input, { flag: 'r' }) : input;
    const pv = opts.previews === false ? null : await previewRgb(buf, { width: md.width ?? 0, height: md.height ?? 0 }, md.orientation ?? null, spec);
    return rgbToModelInput(pv ?? await decodeRgb(primaryImage(buf), side), spec);
  }
  if (side !== null) return rgbToModelInput(await decodeRgb(main, side), spec);
  return modelInputFromRgb(await decodeRgb(input), spec, opts);
}

/**
 * A large JPEG's embedded preview, decoded upright to RGB, when one has at least JPEG_MIN_SIDE_FACTOR×224
 * px on its long side (what the photo's own shrink-on-load keeps) and the photo's shape; else null, and
 * the photo itself is decoded. A preview over 4×224 px decodes at its own coarsest DCT scale. `stored` is
 * the photo's size before EXIF orientation. The index pass and preprocessImage both come here, so a photo
 * gives the same tensor at index and at query time.
 */
export async function previewRgb(buf: Buffer, stored: { width: number; height: number }, orientation: number | null, spec: PreprocessSpec): Promise<RgbImage | null> {
  const sharp = await loadSharp();
  const minLong = Math.max(PROCESS_IMG_SIZE, spec.size) * JPEG_MIN_SIDE_FACTOR;
  const probe = async (jpeg: Buffer) => {
    const m = await sharp(jpeg).metadata().catch(() => null);
    return m?.format === 'jpeg' && m.width && m.height ? { width: m.width, height: m.height } : null;
  };
  const pv = await pickPreview(buf, stored, minLong, probe);
  if (!pv) return null;
  try {
    const side = reducedDecodeSide('jpeg', pv, spec);
    let img = orient(sharp(pv.jpeg, { failOn: 'warning' }), orientation);
    if (side !== null) img = img.resize({ width: side, height: side, fit: 'inside', kernel: 'linear', fastShrinkOnLoad: true });
    const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch {
    return null; // a damaged preview: the photo itself is decoded
  }
}

/**
 * A JPEG decodes at the coarsest DCT scale (1/2, 1/4 or 1/8) that still leaves this many times the
 * model path's 224 px on its long side: 1/8 for a 12-MP photo (500×375). libjpeg's 1/8 scale keeps only
 * each 8×8 block's mean (no inverse DCT at all), so the decode is mostly entropy decoding; the exact jax
 * resize then runs on those pixels, with no libvips resampling in between.
 */
const JPEG_MIN_SIDE_FACTOR = 2;

/**
 * The longer side a photo is decoded to by libvips before the exact resize, or null when it is decoded
 * whole. Two cases:
 * - JPEG shrink-on-load: a JPEG larger than prescale×224 px on its long side decodes at the coarsest
 *   DCT scale that keeps ≥ JPEG_MIN_SIDE_FACTOR×224 px (the side returned is that scale's size, so
 *   libvips adds no resampling of its own when the side divides evenly). Entropy decoding costs the same
 *   at any scale, but at 1/8 the exact resize runs on a quarter of the pixels of the 1/4 decode (8 ms of
 *   CPU instead of 23–25 for a 12-MP photo, measured), and the 36 MB full-size buffer is never held.
 * - a streamed reduction: any other format (HEIC aside) over STREAM_ABOVE_PIXELS. libvips pulls the file
 *   through its resize a strip at a time, so a 165 KB greyscale PNG of 13000×13000 costs a few MB instead
 *   of 507 MB of RGB (eight of them took the indexer past 2 GB).
 * The price, in both: the 'squash' per-image maximum is taken over the reduced pixels (a highlight
 * smaller than the reduction factor is averaged down; libvips' statistics would need the whole image in
 * memory) and the reduction kernel is libjpeg's block mean or libvips'; the figures are in
 * app/index/README.md and tests/unit/media/shrink-on-load.test.ts bounds them. prescale 0 keeps the exact
 * official path.
 */
export function reducedDecodeSide(format: string, dims: { width: number; height: number }, spec: PreprocessSpec, opts: DecodeOptions = {}): number | null {
  const prescale = opts.prescale ?? DEFAULT_PRESCALE;
  const base = Math.max(PROCESS_IMG_SIZE, spec.size);
  const long = Math.max(dims.width, dims.height);
  if (prescale <= 0 || long <= base * prescale) return null;
  if (format === 'jpeg') return Math.floor(long / jpegScale(long, base * JPEG_MIN_SIDE_FACTOR));
  if (format !== 'heic' && dims.width * dims.height > STREAM_ABOVE_PIXELS) return base * prescale;
  return null;
}

/** The largest DCT scale divisor (1, 2, 4 or 8) that keeps a long side of at least minSide. */
function jpegScale(long: number, minSide: number): number {
  let s = 1;
  while (s < 8 && long / (s * 2) >= minSide) s *= 2;
  return s;
}

/**
 * Pixels of a JPEG's shrink-on-load decode (1/2, 1/4 or 1/8 of each side), for the decode budget; for a
 * streamed reduction (which holds its output and a few strips) an over-estimate, which is safe.
 */
export function shrinkOnLoadPixels(dims: { width: number; height: number }, maxSide: number): number {
  const s = jpegScale(Math.max(dims.width, dims.height), maxSide);
  return Math.ceil(dims.width / s) * Math.ceil(dims.height / s);
}

/** The model input from full-resolution, EXIF-rotated RGB (what preprocessImage does after decoding). */
export async function modelInputFromRgb(rgb: RgbImage, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<Float32Array> {
  return (await modelInputWithPreview(rgb, spec, opts)).input;
}

/**
 * modelInputFromRgb, also handing back the whole image as libvips reduced it for the fast path
 * ('squash' on a large photo; null otherwise), so the index pass can make its thumbnail from that
 * small copy instead of resampling the full-resolution pixels a second time.
 */
export async function modelInputWithPreview(rgb: RgbImage, spec: PreprocessSpec, opts: DecodeOptions = {}): Promise<{ input: Float32Array; reduced: RgbImage | null }> {
  const prescale = opts.prescale ?? DEFAULT_PRESCALE;
  const maxSide = Math.max(PROCESS_IMG_SIZE, spec.size) * prescale;
  if (prescale <= 0 || Math.max(rgb.width, rgb.height) <= maxSide) return { input: rgbToModelInput(rgb, spec), reduced: null };
  if (spec.mode === 'center-crop') return { input: rgbToModelInput(await reduce(centreSquare(rgb), maxSide), spec), reduced: null };
  const max = maxOf(rgb.data);
  const reduced = await reduce(rgb, maxSide);
  return { input: rgbToModelInput(reduced, spec, { maxValue: max }), reduced };
}
