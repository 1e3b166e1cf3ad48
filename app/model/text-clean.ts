// CLIP's text cleaning: ftfy.fix_text, html.unescape twice, strip, collapse whitespace, lower-case.
// ftfy has no JS port. We do the parts of fix_text that change CLIP tokens for real-world input:
// terminal escapes removed, the common mojibake (UTF-8 read as Windows-1252/Latin-1, e.g. "cafÃ©" →
// "café"), C1 controls decoded as Windows-1252, latin ligatures split, full-width characters narrowed,
// curly quotes straightened, control characters removed, NFC. Not done: ftfy's badness scoring, multi-
// layer mojibake, other codecs (e.g. MacRoman, cp437) and its "lossy sequence" repairs (see models/README.md).
import { decode } from 'html-entities';

const WIN1252_C1: Record<number, string> = {
  0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰', 0x8a: 'Š', 0x8b: '‹',
  0x8c: 'Œ', 0x8e: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•', 0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™',
  0x9a: 'š', 0x9b: '›', 0x9c: 'œ', 0x9e: 'ž', 0x9f: 'Ÿ',
};
const LIGATURES: Record<string, string> = {
  'Ĳ': 'IJ', 'ĳ': 'ij', 'ŉ': "ʼn", 'Ǳ': 'DZ', 'ǲ': 'Dz', 'ǳ': 'dz', 'Ǆ': 'DŽ', 'ǅ': 'Dž', 'ǆ': 'dž', 'Ǉ': 'LJ', 'ǈ': 'Lj', 'ǉ': 'lj',
  'Ǌ': 'NJ', 'ǋ': 'Nj', 'ǌ': 'nj', 'ﬀ': 'ff', 'ﬁ': 'fi', 'ﬂ': 'fl', 'ﬃ': 'ffi', 'ﬄ': 'ffl', 'ﬅ': 'ſt', 'ﬆ': 'st',
};

const CP1252_BYTE = new Map<string, number>(Object.entries(WIN1252_C1).map(([b, c]) => [c, Number(b)]));
// UTF-8 byte sequences whose bytes were shown as Windows-1252 / Latin-1 characters
const CONT = '[\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]';
const MOJIBAKE = new RegExp(`(?:[\u00c2-\u00df]${CONT}|[\u00e0-\u00ef]${CONT}{2}|[\u00f0-\u00f4]${CONT}{3})+`, 'g');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** ftfy fix_encoding, for the one case that matters in practice: a run that re-encodes to valid UTF-8. */
export function fixMojibake(s: string): string {
  return s.replace(MOJIBAKE, (run) => {
    const bytes = Uint8Array.from([...run].map((c) => CP1252_BYTE.get(c) ?? c.charCodeAt(0)));
    try {
      return utf8.decode(bytes);
    } catch {
      return run;
    }
  });
}

export function ftfyLite(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching ESC (terminal escape sequences) is the point
  let s = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, ''); // remove_terminal_escapes
  s = fixMojibake(s); // fix_encoding (common case)
  s = s.replace(/[\u0080-\u009f]/g, (c) => WIN1252_C1[c.charCodeAt(0)] ?? c); // fix_c1_controls
  s = s.replace(/[\u0132\u0133\u0149\u01f1-\u01f3\u01c4-\u01cc\ufb00-\ufb06]/g, (c) => LIGATURES[c] ?? c); // fix_latin_ligatures
  // fix_character_width: full-width ASCII and the ideographic space become their ordinary forms
  s = s.replace(/[\uff01-\uff5e\u3000]/g, (c) => c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  s = s.replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'").replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"'); // uncurl_quotes
  s = s.replace(/\r\n|\r|\u2028|\u2029|\u0085/g, '\n'); // fix_line_breaks
  // remove_control_chars (keeps \t \n \f \r)
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  s = s.replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]|\u{1d173}-\u{1d17a}/gu, '');
  return s.normalize('NFC');
}

/** Python's html.unescape (HTML5 named and numeric references, incl. legacy ones without ';'). */
export function htmlUnescape(s: string): string {
  return decode(s, { level: 'html5', scope: 'body' });
}

export function clipClean(text: string): string {
  let s = ftfyLite(text);
  s = htmlUnescape(htmlUnescape(s)).trim();
  s = s.replace(/\s+/gu, ' ').trim();
  return s.toLowerCase();
}
