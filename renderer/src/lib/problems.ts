// Why a file could not be indexed, in words a user can act on. The service's reasons carry the
// decoder's own text ("not a readable image: VipsJpeg: premature end of JPEG image"); that stays
// available as the detail, the headline says what it means.

const RULES: [RegExp, string][] = [
  [/empty file|0 bytes/i, 'The file is empty (0 bytes)'],
  [/premature end|truncated|unexpected end|end of (file|stream)|corrupt data/i, 'The file is incomplete (truncated or cut off while copying)'],
  [/too large|decompression-bomb|pixel limit/i, 'The image is too large to open safely'],
  [/has no dimensions/i, 'The image has no width or height'],
  [/unsupported image format|unsupported|not a (readable|known) image|unknown format|bad seek/i, 'Not an image MagicLens can read (unknown or damaged format)'],
  [/heic|heif/i, 'This HEIC/HEIF photo could not be decoded'],
  [/EACCES|EPERM|permission/i, 'MagicLens may not read this file (permission denied)'],
  [/ENOENT|no such file/i, 'The file is gone (moved or deleted)'],
  [/embedding missing|model/i, 'The search model could not process this photo'],
];

export function describeProblem(raw: string | null): string {
  if (!raw) return 'Unknown problem';
  for (const [re, text] of RULES) if (re.test(raw)) return text;
  return 'The file could not be read';
}

/** A glob matching exactly this file, relative to its folder (glob characters escaped). */
export function exclusionFor(folderPath: string, filePath: string): string | null {
  const root = folderPath.replace(/[\\/]+$/, '');
  if (!filePath.startsWith(root) || !/[\\/]/.test(filePath.charAt(root.length))) return null;
  return filePath.slice(root.length + 1).replace(/\\/g, '/').replace(/[*?[\]{}()!+@]/g, '\\$&');
}
