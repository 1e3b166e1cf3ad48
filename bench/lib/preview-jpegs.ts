// JPEGs with an embedded preview, laid out as cameras write them, for bench:perf and the preview tests:
// an EXIF IFD1 thumbnail (APP1, ≤ 64 KB: Samsung phones' 512×384) or a Multi-Picture Format (CIPA
// DC-007) large thumbnail appended after the main image (APP2 index: Sony's 1616×1080, Fujifilm's
// 1920×1280). sharp writes neither, so the segments are assembled here (little-endian TIFF).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

function le16(v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; }
function le32(v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; }
/** One 12-byte IFD entry with its value inline (SHORT or LONG). */
function entry(tag: number, type: 3 | 4, value: number): Buffer {
  return Buffer.concat([le16(tag), le16(type), le32(1), type === 3 ? Buffer.concat([le16(value), le16(0)]) : le32(value)]);
}
function ifd(entries: Buffer[], next: number): Buffer { return Buffer.concat([le16(entries.length), ...entries, le32(next)]); }
function segment(marker: number, body: Buffer): Buffer {
  if (body.length + 2 > 0xffff) throw new Error(`segment too long (${body.length} bytes)`);
  return Buffer.concat([Buffer.from([0xff, marker]), Buffer.from([(body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
}

/** APP1 EXIF: IFD0 (orientation when given) → IFD1 pointing at the thumbnail stored right after it. */
function exifApp1(thumb: Buffer, orientation?: number): Buffer {
  const ifd0Entries = orientation ? [entry(0x0112, 3, orientation)] : [];
  const ifd0Len = 2 + ifd0Entries.length * 12 + 4;
  const ifd1Off = 8 + ifd0Len;
  const ifd1Len = 2 + 3 * 12 + 4;
  const thumbOff = ifd1Off + ifd1Len;
  const tiff = Buffer.concat([Buffer.from('II'), le16(42), le32(8), ifd(ifd0Entries, ifd1Off),
    ifd([entry(0x0103, 3, 6), entry(0x0201, 4, thumbOff), entry(0x0202, 4, thumb.length)], 0), thumb]);
  return segment(0xe1, Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]));
}

/** APP2 MPF index for [primary, preview]; offsets are from the MPF TIFF header (after "MPF\0"). */
function mpfApp2(primaryLen: number, previewLen: number, previewOffFromTiff: number): Buffer {
  const entriesOff = 8 + 2 + 3 * 12 + 4;
  const mpEntries = Buffer.concat([
    le32(0x20030000), le32(primaryLen), le32(0), le16(0), le16(0),
    le32(0x00010002), le32(previewLen), le32(previewOffFromTiff), le16(0), le16(0),
  ]);
  const version = Buffer.concat([le16(0xb000), le16(7), le32(4), Buffer.from('0100')]);
  const tiff = Buffer.concat([Buffer.from('II'), le16(42), le32(8),
    ifd([version, entry(0xb001, 4, 2), Buffer.concat([le16(0xb002), le16(7), le32(32), le32(entriesOff)])], 0), mpEntries]);
  return segment(0xe2, Buffer.concat([Buffer.from('MPF\0', 'latin1'), tiff]));
}

/**
 * `primary` (a JPEG) with `preview` embedded: 'exif' puts it in IFD1 (then it must fit in 64 KB),
 * 'mpf' appends it after the primary's EOI with an MPF index in APP2. `orientation` adds an EXIF
 * orientation tag (exif only).
 */
export function withEmbeddedPreview(primary: Buffer, preview: Buffer, how: 'exif' | 'mpf', orientation?: number): Buffer {
  const body = primary.subarray(2); // after SOI
  if (how === 'exif') return Buffer.concat([primary.subarray(0, 2), exifApp1(preview, orientation), body]);
  const app2Len = mpfApp2(0, 0, 0).length;
  const primaryLen = 2 + app2Len + body.length;
  const tiffStart = 2 + 4 + 4; // SOI, APP2 marker + length, "MPF\0"
  const app2 = mpfApp2(primaryLen, preview.length, primaryLen - tiffStart);
  return Buffer.concat([primary.subarray(0, 2), app2, body, preview]);
}

/**
 * bench:perf's 12-MP folder with previews: the same noise photos as big-jpegs.ts, each with a
 * 1600×1200 MPF large thumbnail at quality 80 made from the same pixels.
 */
export async function makePreviewJpegs(fromDir: string, dir: string, n: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const src = fs.readdirSync(fromDir).filter((f) => f.endsWith('.jpg')).sort().slice(0, n);
  for (const f of src) {
    const out = path.join(dir, f.replace(/^big-/, 'mpf-'));
    if (fs.existsSync(out)) continue;
    const primary = fs.readFileSync(path.join(fromDir, f));
    const preview = await sharp(primary).resize(1600, 1200, { kernel: 'lanczos3' }).jpeg({ quality: 80 }).toBuffer();
    fs.writeFileSync(out, withEmbeddedPreview(primary, preview, 'mpf'));
  }
}
