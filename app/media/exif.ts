// EXIF fields we show and filter on. sharp hands us the raw EXIF block; exif-reader (maintained,
// tiny, no native code) parses it. Missing or corrupt EXIF is normal and yields nulls.
import exifReader from 'exif-reader';

export interface ExifInfo {
  takenAt: number | null;
  camera: string | null;
}

export function parseExif(block: Buffer | undefined): ExifInfo {
  if (!block || block.length === 0) return { takenAt: null, camera: null };
  try {
    const e = exifReader(block);
    // exif-reader reads EXIF's zone-less "YYYY:MM:DD HH:MM:SS" as UTC; we store that wall-clock
    // time as-is (epoch ms), which keeps date filters and sorting consistent across photos.
    const d = e.Photo?.DateTimeOriginal ?? e.Photo?.DateTimeDigitized ?? e.Image?.DateTime;
    const takenAt = d instanceof Date && !Number.isNaN(d.getTime()) ? d.getTime() : null;
    const make = clean(e.Image?.Make);
    const model = clean(e.Image?.Model);
    let camera: string | null = null;
    if (make && model) camera = model.toLowerCase().startsWith(make.toLowerCase()) ? model : `${make} ${model}`;
    else camera = model ?? make ?? null;
    return { takenAt, camera };
  } catch {
    return { takenAt: null, camera: null };
  }
}

function clean(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const t = s.replaceAll('\0', '').trim();
  return t === '' ? null : t.slice(0, 200);
}
