// The index pass decodes each photo once: the header check first (decompression-bomb guard, format,
// EXIF, from openImage's inspectImage), then ONE full decode to raw sRGB pixels with EXIF orientation
// applied, from which both the thumbnail and the model input are derived. Before this, the pass decoded
// a 12-MP JPEG three times (corrupt-file check, thumbnail, model input). A large JPEG is decoded once at
// reduced size (shrink-on-load, see reducedDecodeSide). The model input is computed by the same
// functions preprocessImage uses on the same pixels, so a query on the file gives the same tensor.
import type { OutputInfo } from 'sharp';
import { primaryImage } from './embedded-preview.js';
import { rgbaToRgb } from './rgb.js';
import { loadSharp } from './sharp-lazy.js';
import type { PhotoMeta } from '../store/photos.js';
import { DecodeError, decodeHeic, inspectImage, MAX_PIXELS, reason } from './decode.js';
import { modelInputWithPreview, previewRgb, reducedDecodeSide, rgbToModelInput, shrinkOnLoadPixels, type PreprocessSpec, type RgbImage } from './preprocess.js';
import { decodeBudget, type PixelBudget } from './pixel-budget.js';
import { thumbFromPixels } from './thumbs.js';

export interface IngestedImage {
  meta: PhotoMeta;
  /** [S,S,3] normalised model input, as preprocessImage would give for this file. */
  pixels: Float32Array;
  /** Thumbnail JPEG bytes, when asked for. */
  thumb: Buffer | null;
}

interface RawPixels { data: Buffer; width: number; height: number; channels: 3 | 4 }

export async function ingestImage(buf: Buffer, spec: PreprocessSpec, opts: { thumb: boolean; budget?: PixelBudget }): Promise<IngestedImage> {
  const { meta, format } = await inspectImage(buf);
  const dims = { width: meta.width ?? 0, height: meta.height ?? 0 };
  // A large JPEG is decoded straight to the model path's reduced size (shrink-on-load, the same
  // decode preprocessImage does, so a query on the file gives the same input as the index pass).
  const side = reducedDecodeSide(format, dims, spec);
  // The decoded pixels exist only inside this call: it runs under the pixel budget, weighted by
  // what the decode holds (the header's width × height, or the shrink-on-load size), so concurrent
  // decodes are bounded by their total size.
  // A HEIC counts double: its wasm decoder holds ~15 bytes per pixel while it runs (measured: +710 MB
  // for 48 MP), against ≤ 7 for the other whole decodes.
  const px = side === null ? dims.width * dims.height * (format === 'heic' ? 2 : 1) : shrinkOnLoadPixels(dims, side);
  return (opts.budget ?? decodeBudget).run(px || MAX_PIXELS, () => decodeAndDerive(buf, format, meta, spec, opts.thumb, side));
}

async function decodeAndDerive(buf: Buffer, format: string, meta: PhotoMeta, spec: PreprocessSpec, wantThumb: boolean, side: number | null): Promise<IngestedImage> {
  if (side !== null && format === 'jpeg') {
    // An embedded preview big enough for the model stands in for the 12-MP decode (a few ms instead of ~55)
    const stored = (meta.orientation ?? 1) >= 5 ? { width: meta.height ?? 0, height: meta.width ?? 0 } : { width: meta.width ?? 0, height: meta.height ?? 0 };
    const pv = await previewRgb(buf, stored, meta.orientation, spec);
    if (pv) return { meta, pixels: rgbToModelInput(pv, spec), thumb: wantThumb ? await thumbFromPixels(Buffer.from(pv.data.buffer, pv.data.byteOffset, pv.data.length), pv) : null };
  }
  const raw = format === 'heic' ? await heicPixels(buf) : await decodeRaw(buf, format, side);
  if (side !== null) {
    // One reduced decode (≥ 448 px on the long side): the model input and the thumbnail both come from it
    const pixels = rgbToModelInput(toRgb(raw), spec);
    return { meta, pixels, thumb: wantThumb ? await thumbFromPixels(raw.data, raw) : null };
  }
  const { input: pixels, reduced } = await modelInputWithPreview(toRgb(raw), spec);
  let thumb: Buffer | null = null;
  if (wantThumb) {
    // From the model path's reduced copy of the whole photo when there is one (≥ 896 px, so plenty
    // for a 320 px thumbnail; resampling 12 MP again would cost ~20 ms); with alpha, from the full
    // pixels, whose alpha is flattened onto white (the model sees RGB with alpha dropped).
    thumb = reduced && raw.channels === 3
      ? await thumbFromPixels(Buffer.from(reduced.data.buffer, reduced.data.byteOffset, reduced.data.length), { width: reduced.width, height: reduced.height, channels: 3 })
      : await thumbFromPixels(raw.data, raw);
  }
  return { meta, pixels, thumb };
}

async function decodeRaw(buf: Buffer, format: string, side: number | null): Promise<RawPixels> {
  let out: { data: Buffer; info: OutputInfo };
  const sharp = await loadSharp();
  try {
    // Same chain as decodeRgb (rotate, optional shrink-on-load reduction, sRGB) but with sharp's default
    // failOn 'warning', so a truncated or corrupt file fails here with its reason, as openImage's check
    // did; a file that passes gives the same pixels (failOn changes what is refused, not what is
    // decoded). Alpha kept for the thumbnail.
    // sequentialRead: libvips reads the file top to bottom once, so a reduction streams through it
    let img = sharp(primaryImage(buf), { limitInputPixels: MAX_PIXELS, sequentialRead: true }).rotate();
    if (side !== null) img = img.resize({ width: side, height: side, fit: 'inside', kernel: 'linear', fastShrinkOnLoad: true });
    out = await img.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DecodeError(`cannot decode ${format}: ${reason(err)}`);
  }
  const { data, info } = out;
  if (info.channels !== 3 && info.channels !== 4) throw new DecodeError(`cannot decode ${format}: ${info.channels} channels after sRGB conversion`);
  return { data, width: info.width, height: info.height, channels: info.channels };
}

async function heicPixels(buf: Buffer): Promise<RawPixels> {
  // RGB with orientation already applied by libheif; the old path dropped the alpha before both
  // thumbnail and model input, and the worker drops it too.
  const img = await decodeHeic(buf);
  return { data: Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), width: img.width, height: img.height, channels: 3 };
}

function toRgb(raw: RawPixels): RgbImage {
  const data = raw.channels === 4 ? rgbaToRgb(raw.data, raw.width * raw.height) : new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length);
  return { data, width: raw.width, height: raw.height, channels: 3 };
}
