// Decoding a photo for the index pass: metadata (dimensions after EXIF orientation, EXIF date and
// camera), a decompression-bomb guard checked from the header before any pixel is decoded, and a
// source sharp can read for the thumbnail and the model input. HEIC/HEIF with HEVC inside is
// decoded by heic-decode (libheif compiled to wasm): the prebuilt libvips in sharp has no HEVC.
import type { Metadata } from 'sharp';
import { loadSharp } from './sharp-lazy.js';
import { primaryImage } from './embedded-preview.js';
import { parseExif } from './exif.js';
import { decodeHeicRgb } from './heic.js';
import type { PhotoMeta } from '../store/photos.js';

/**
 * Refuse images above this many pixels. 180 MP admits every camera sold today (the largest
 * medium-format sensors are ~150 MP) while a 30,000 × 30,000 "bomb" (900 MP, 2.7 GB of RGB) is
 * refused from its header alone. sharp's own limit is set to the same value as a second guard.
 */
export const MAX_PIXELS = 180_000_000;

export class DecodeError extends Error {
  override name = 'DecodeError';
}

export interface OpenedImage {
  meta: PhotoMeta;
  /** Bytes sharp can decode (the file itself, or a lossless PNG made from a HEIC). */
  source: Buffer;
  /** Whether sharp should still apply EXIF orientation (false for HEIC: libheif already did). */
  autoOrient: boolean;
}

const FORMAT_NAMES: Record<string, string> = { jpeg: 'jpeg', png: 'png', webp: 'webp', tiff: 'tiff', gif: 'gif' };

export interface ImageHeader {
  meta: PhotoMeta;
  /** jpeg | png | webp | tiff | gif | heic | avif */
  format: string;
}

/**
 * Reads the header only (no pixels decoded): format, EXIF, dimensions after orientation, and the
 * decompression-bomb guard. Everything that decodes a photo calls this first.
 */
export async function inspectImage(buf: Buffer): Promise<ImageHeader> {
  if (buf.length === 0) throw new DecodeError('empty file (0 bytes)');
  let md: Metadata;
  const sharp = await loadSharp();
  try {
    md = await sharp(primaryImage(buf), { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new DecodeError(`not a readable image: ${reason(err)}`);
  }
  const w = md.width ?? 0;
  const h = md.height ?? 0;
  if (w <= 0 || h <= 0) throw new DecodeError('image has no dimensions');
  if (w * h > MAX_PIXELS) {
    throw new DecodeError(`image too large: ${w}×${h} = ${Math.round((w * h) / 1e6)} MP, over the ${MAX_PIXELS / 1e6} MP limit (decompression-bomb guard)`);
  }
  let format: string;
  if (md.format === 'heif') format = md.compression === 'av1' ? 'avif' : 'heic';
  else if (md.format && FORMAT_NAMES[md.format]) format = FORMAT_NAMES[md.format]!;
  else throw new DecodeError(`unsupported image format: ${md.format ?? 'unknown'}`);

  const exif = parseExif(md.exif);
  const oriented = md.autoOrient ?? { width: w, height: h };
  const meta: PhotoMeta = {
    width: oriented.width,
    height: oriented.height,
    takenAt: exif.takenAt,
    camera: exif.camera,
    format,
    orientation: md.orientation ?? null,
  };
  return { meta, format };
}

export async function openImage(buf: Buffer): Promise<OpenedImage> {
  const { meta, format } = await inspectImage(buf);
  let source = buf;
  let autoOrient = true;
  if (format === 'heic') {
    source = await heicToPng(buf);
    autoOrient = false;
  } else {
    // Decode fully once now so a truncated or corrupt file fails here with its reason, before
    // the batch reaches the model (sharp's default failOn 'warning' rejects premature JPEG ends).
    const sharp = await loadSharp();
    try {
      await sharp(buf, { limitInputPixels: MAX_PIXELS }).resize(16, 16, { fit: 'fill' }).raw().toBuffer();
    } catch (err) {
      throw new DecodeError(`cannot decode ${format}: ${reason(err)}`);
    }
  }
  return { meta, source, autoOrient };
}

/** HEIC/HEIF with HEVC inside → RGB, decoded by heic-decode in a worker thread (app/media/heic.ts). */
export async function decodeHeic(buf: Buffer): Promise<{ width: number; height: number; data: Uint8Array }> {
  try {
    return await decodeHeicRgb(buf);
  } catch (err) {
    throw new DecodeError(`cannot decode heic: ${reason(err)}`);
  }
}

async function heicToPng(buf: Buffer): Promise<Buffer> {
  const img = await decodeHeic(buf);
  const sharp = await loadSharp();
  // Lossless PNG (no compression: speed) so the rest of the pipeline treats it like any file.
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

export function reason(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.split('\n')[0]!.slice(0, 300);
}
