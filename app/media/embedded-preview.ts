// Embedded previews in large JPEGs. Cameras and phones store a smaller JPEG of the same picture inside
// the file: in EXIF's IFD1 (the "thumbnail": 160×120 on most cameras, 512×384 on Samsung phones) or as a
// Multi-Picture Format (CIPA DC-007) "large thumbnail" appended after the main image (Sony 1616×1080,
// Nikon 640×424, Fujifilm 1920×1280). Decoding one costs a few ms where the 12-MP image costs ~55 ms of
// entropy decoding at any DCT scale, so the index pass takes its model input and thumbnail from a preview
// that is big enough and shows the same picture. exif-reader parses tags but returns neither IFD1's bytes
// nor MPF, and no maintained npm package reads MPF, so the two short IFD walks are written here, every
// offset bounds-checked against the buffer.
import type { Sharp } from 'sharp';

export interface PreviewRef { offset: number; length: number; source: 'exif' | 'mpf' }

interface Tiff { buf: Buffer; start: number; le: boolean }

const u16 = (t: Tiff, at: number) => (t.le ? t.buf.readUInt16LE(at) : t.buf.readUInt16BE(at));
const u32 = (t: Tiff, at: number) => (t.le ? t.buf.readUInt32LE(at) : t.buf.readUInt32BE(at));

function tiffAt(buf: Buffer, start: number, end: number): Tiff | null {
  if (start + 8 > end) return null;
  const order = buf.toString('latin1', start, start + 2);
  if (order !== 'II' && order !== 'MM') return null;
  const t = { buf, start, le: order === 'II' };
  return u16(t, start + 2) === 42 ? t : null;
}

/** One IFD's entries (tag → [type, count, value-or-offset field position]) and the next IFD's offset. */
function readIfd(t: Tiff, off: number, end: number): { tags: Map<number, { count: number; at: number }>; next: number } | null {
  const at = t.start + off;
  if (off < 8 || at + 2 > end) return null;
  const n = u16(t, at);
  if (at + 2 + n * 12 + 4 > end) return null;
  const tags = new Map<number, { count: number; at: number }>();
  for (let k = 0; k < n; k++) {
    const e = at + 2 + k * 12;
    tags.set(u16(t, e), { count: u32(t, e + 4), at: e + 8 });
  }
  return { tags, next: u32(t, at + 2 + n * 12) };
}

function exifThumbnail(t: Tiff, end: number): PreviewRef | null {
  const ifd0 = readIfd(t, u32(t, t.start + 4), end);
  const ifd1 = ifd0 && ifd0.next ? readIfd(t, ifd0.next, end) : null;
  const off = ifd1?.tags.get(0x0201);
  const len = ifd1?.tags.get(0x0202);
  if (!off || !len) return null;
  return { offset: t.start + u32(t, off.at), length: u32(t, len.at), source: 'exif' };
}

/** MPF's large thumbnails, and where the primary image ends (its MP entry's size). */
function mpfImages(t: Tiff, end: number): { previews: PreviewRef[]; primaryEnd: number | null } {
  const ifd = readIfd(t, u32(t, t.start + 4), end);
  const entry = ifd?.tags.get(0xb002);
  if (!entry || entry.count % 16 !== 0) return { previews: [], primaryEnd: null };
  const list = t.start + u32(t, entry.at);
  if (list + entry.count > t.buf.length) return { previews: [], primaryEnd: null };
  const previews: PreviewRef[] = [];
  let primaryEnd: number | null = null;
  for (let at = list; at < list + entry.count; at += 16) {
    const type = u32(t, at) & 0xffffff;
    const size = u32(t, at + 4);
    const off = u32(t, at + 8);
    if (off === 0) primaryEnd = size; // the primary image starts the file
    else if (type === 0x010001 || type === 0x010002) previews.push({ offset: t.start + off, length: size, source: 'mpf' });
  }
  return { previews, primaryEnd };
}

/**
 * The previews a JPEG declares (none for anything else), from its APP1 (EXIF) and APP2 (MPF) segments,
 * and where its main image ends when MPF says so. Offsets are not yet checked to hold a JPEG.
 */
export function embeddedPreviews(buf: Buffer): { previews: PreviewRef[]; primaryEnd: number | null } {
  const previews: PreviewRef[] = [];
  let primaryEnd: number | null = null;
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return { previews, primaryEnd };
  let i = 2;
  let sos = false;
  while (i + 4 <= buf.length && buf[i] === 0xff) {
    const marker = buf[i + 1]!;
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xda) { sos = true; break; } // image data: no more header segments
    if (marker === 0xd9) break;
    const end = i + 2 + buf.readUInt16BE(i + 2);
    if (end > buf.length) break;
    if (marker === 0xe1 && buf.toString('latin1', i + 4, i + 10) === 'Exif\0\0') {
      const t = tiffAt(buf, i + 10, end);
      const p = t ? exifThumbnail(t, end) : null;
      if (p) previews.push(p);
    } else if (marker === 0xe2 && buf.toString('latin1', i + 4, i + 8) === 'MPF\0') {
      const t = tiffAt(buf, i + 8, end);
      if (t) {
        const m = mpfImages(t, end);
        previews.push(...m.previews);
        primaryEnd = m.primaryEnd;
      }
    }
    i = end;
  }
  // An end inside the header segments (say, at an EXIF thumbnail's own EOI) would cut the photo: ignored
  if (!sos || (primaryEnd !== null && primaryEnd <= i)) primaryEnd = null;
  return { previews, primaryEnd };
}

/**
 * The main image alone when MPF says where it ends (the same bytes, cut before the appended images), else
 * the buffer. libvips 8.18 probes a JPEG's MPF images for an UltraHDR gain map whenever it opens one,
 * which made the header read of a camera JPEG with a large MPF preview cost 4–30 ms instead of 0.3–3;
 * the photo is its primary image either way (the official pipeline's PIL reads only that too).
 */
export function primaryImage(buf: Buffer): Buffer {
  const end = embeddedPreviews(buf).primaryEnd;
  return end !== null && end < buf.length && endsInEoi(buf, end) ? buf.subarray(0, end) : buf;
}

/** The image that ends at `end` is complete: its last two bytes are the EOI marker. */
function endsInEoi(buf: Buffer, end: number): boolean {
  return end >= 4 && end <= buf.length && buf[end - 2] === 0xff && buf[end - 1] === 0xd9;
}

/** A preview's pixel size from its own header (sharp reads only the header). */
type Probe = (jpeg: Buffer) => Promise<{ width: number; height: number } | null>;

/**
 * The smallest declared preview whose long side is at least minLong and whose shape matches the photo's
 * (within 1 %: a letterboxed or cropped preview is not the same picture), or null. Only for a complete
 * main image (it ends with EOI where MPF or the file says it ends), so a truncated file still reaches the
 * full decode and fails there with its reason. width × height are the photo's as stored (not rotated).
 */
export async function pickPreview(buf: Buffer, stored: { width: number; height: number }, minLong: number, probe: Probe): Promise<{ jpeg: Buffer; width: number; height: number } | null> {
  const { previews, primaryEnd } = embeddedPreviews(buf);
  if (previews.length === 0) return null;
  if (!endsInEoi(buf, primaryEnd ?? buf.length)) return null;
  let best: { jpeg: Buffer; width: number; height: number } | null = null;
  for (const p of previews) {
    if (p.offset < 0 || p.length < 4 || p.offset + p.length > buf.length) continue;
    const jpeg = buf.subarray(p.offset, p.offset + p.length);
    if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) continue;
    const dims = await probe(jpeg);
    if (!dims || Math.max(dims.width, dims.height) < minLong) continue;
    const shape = (dims.width / dims.height) / (stored.width / stored.height);
    if (Math.abs(shape - 1) > 0.01) continue;
    if (!best || dims.width * dims.height < best.width * best.height) best = { jpeg, ...dims };
  }
  return best;
}

/**
 * The photo's EXIF orientation applied to a preview, which carries no EXIF of its own (sharp applies
 * the rotation before the flip, whatever the call order; checked against sharp's own auto-orientation
 * for all eight values in tests/unit/media/embedded-preview.test.ts).
 */
export function orient(img: Sharp, orientation: number | null): Sharp {
  switch (orientation) {
    case 2: return img.flop();
    case 3: return img.rotate(180);
    case 4: return img.flip();
    case 5: return img.rotate(270).flop();
    case 6: return img.rotate(90);
    case 7: return img.rotate(90).flop();
    case 8: return img.rotate(270);
    default: return img;
  }
}
