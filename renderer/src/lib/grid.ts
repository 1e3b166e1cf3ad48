// Pure layout math for the virtualised photo grid (kept out of the component so it is testable).
// Hand-written rather than a library: the maintained Svelte 5 virtual-list packages are
// list-oriented; a fixed-size square grid needs only this arithmetic.

export interface GridLayout {
  cols: number;
  tile: number; // tile edge in px (square)
  gap: number;
  rowHeight: number; // tile + gap
}

export function gridLayout(width: number, minTile = 168, gap = 6): GridLayout {
  const w = Math.max(0, width);
  const cols = Math.max(1, Math.floor((w + gap) / (minTile + gap)));
  const tile = Math.max(40, Math.floor((w - gap * (cols - 1)) / cols));
  return { cols, tile, gap, rowHeight: tile + gap };
}

export interface VisibleRange {
  from: number; // first item index to render
  to: number; // one past the last
  offsetY: number; // translateY of the first rendered row
  totalHeight: number;
}

export function visibleRange(total: number, layout: GridLayout, scrollTop: number, viewport: number, overscanRows = 3): VisibleRange {
  const rows = Math.ceil(total / layout.cols);
  const totalHeight = Math.max(0, rows * layout.rowHeight - layout.gap);
  const firstRow = Math.max(0, Math.floor(scrollTop / layout.rowHeight) - overscanRows);
  const lastRow = Math.min(rows, Math.ceil((scrollTop + viewport) / layout.rowHeight) + overscanRows);
  return {
    from: Math.min(total, firstRow * layout.cols),
    to: Math.min(total, lastRow * layout.cols),
    offsetY: firstRow * layout.rowHeight,
    totalHeight,
  };
}

/** Scroll position that brings item `index` into view (null when already visible). */
export function scrollToReveal(index: number, layout: GridLayout, scrollTop: number, viewport: number): number | null {
  const row = Math.floor(index / layout.cols);
  const top = row * layout.rowHeight;
  const bottom = top + layout.tile;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport) return bottom - viewport;
  return null;
}

/** Keyboard movement inside the grid. */
export function moveFocus(index: number, key: string, cols: number, total: number, pageRows = 4): number {
  if (total === 0) return -1;
  const keys = ['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp', 'PageDown', 'PageUp', 'Home', 'End'];
  if (index < 0) return keys.includes(key) ? 0 : index; // the first key press selects the first photo
  let i = index;
  switch (key) {
    case 'ArrowRight': i += 1; break;
    case 'ArrowLeft': i -= 1; break;
    case 'ArrowDown': i += cols; break;
    case 'ArrowUp': i -= cols; break;
    case 'PageDown': i += cols * pageRows; break;
    case 'PageUp': i -= cols * pageRows; break;
    case 'Home': i = 0; break;
    case 'End': i = total - 1; break;
    default: return index;
  }
  return Math.max(0, Math.min(total - 1, i));
}

// ---- Timeline: the grid split into day sections, each a header row then its photos ----

export interface Group {
  /** UTC day, YYYY-MM-DD */
  day: string;
  count: number;
  /** how many of its photos have no capture date (dated by file time instead) */
  fileTime: number;
}

export interface Section extends Group {
  /** index of its first photo in the source */
  start: number;
  /** y of its header */
  top: number;
  rows: number;
  /** aria row index (1-based) of its header row */
  rowBase: number;
}

export interface Sections {
  list: Section[];
  header: number;
  totalHeight: number;
  totalRows: number;
}

export function sectionLayout(groups: readonly Group[], layout: GridLayout, header: number): Sections {
  const list: Section[] = [];
  let top = 0;
  let start = 0;
  let rowBase = 1;
  for (const g of groups) {
    const rows = Math.ceil(g.count / layout.cols);
    list.push({ ...g, start, top, rows, rowBase });
    top += header + rows * layout.rowHeight;
    start += g.count;
    rowBase += rows + 1;
  }
  return { list, header, totalHeight: Math.max(0, top - layout.gap), totalRows: rowBase - 1 };
}

/** The section holding photo `index` (binary search: sections are in photo order). */
export function sectionOf(s: Sections, index: number): number {
  let lo = 0;
  let hi = s.list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.list[mid]!.start <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The section whose block covers y (the last one starting at or above it). */
export function sectionAt(s: Sections, y: number): number {
  let lo = 0;
  let hi = s.list.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.list[mid]!.top <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface Block {
  /** null for the one block of a plain grid */
  section: Section | null;
  /** header drawn in this block (its first rows are the section's first) */
  withHeader: boolean;
  y: number;
  from: number;
  to: number;
}

/** The blocks (a header and/or rows of one section) near the viewport: only these are in the DOM. */
export function visibleBlocks(s: Sections, layout: GridLayout, scrollTop: number, viewport: number, overscanRows = 3): Block[] {
  if (s.list.length === 0) return [];
  const lo = scrollTop - overscanRows * layout.rowHeight;
  const hi = scrollTop + viewport + overscanRows * layout.rowHeight;
  const out: Block[] = [];
  for (let k = sectionAt(s, Math.max(0, lo)); k < s.list.length; k++) {
    const sec = s.list[k]!;
    if (sec.top > hi) break;
    const rowsTop = sec.top + s.header;
    const first = Math.max(0, Math.floor((lo - rowsTop) / layout.rowHeight));
    const last = Math.min(sec.rows, Math.ceil((hi - rowsTop) / layout.rowHeight));
    if (last <= first && first > 0) continue;
    const withHeader = first === 0;
    out.push({
      section: sec,
      withHeader,
      y: withHeader ? sec.top : rowsTop + first * layout.rowHeight,
      from: sec.start + Math.min(sec.count, first * layout.cols),
      to: sec.start + Math.min(sec.count, Math.max(first, last) * layout.cols),
    });
  }
  return out;
}

/** Top and bottom (px) of photo `index`'s tile. */
export function tileSpan(s: Sections, layout: GridLayout, index: number): [number, number] {
  const sec = s.list[sectionOf(s, index)]!;
  const top = sec.top + s.header + Math.floor((index - sec.start) / layout.cols) * layout.rowHeight;
  return [top, top + layout.tile];
}

/** Up/Down keep the column across a section boundary (the rows of a day are not all full). */
export function moveInSections(s: Sections, index: number, key: string, cols: number, total: number, pageRows = 4): number {
  if (index < 0 || (key !== 'ArrowDown' && key !== 'ArrowUp') || s.list.length === 0) return moveFocus(index, key, cols, total, pageRows);
  const k = sectionOf(s, index);
  const sec = s.list[k]!;
  const local = index - sec.start;
  const col = local % cols;
  const row = Math.floor(local / cols);
  if (key === 'ArrowDown') {
    if (row + 1 < sec.rows) return Math.min(sec.start + sec.count - 1, index + cols);
    const next = s.list[k + 1];
    return next ? next.start + Math.min(col, next.count - 1) : index;
  }
  if (row > 0) return index - cols;
  const prev = s.list[k - 1];
  if (!prev) return index;
  return prev.start + Math.min(prev.count - 1, (prev.rows - 1) * cols + col);
}

// ---- Drag to select: the tiles a rubber band (in the grid's content coordinates) touches ----

/** Column or row indices [from, to] whose cells (pitch apart, `size` long) overlap [lo, hi]; empty when from > to. */
function span(lo: number, hi: number, pitch: number, size: number, n: number): [number, number] {
  let from = Math.max(0, Math.floor(lo / pitch));
  if (lo - from * pitch >= size) from++; // lo is in the gap after cell `from`
  return [from, Math.min(n - 1, Math.floor(hi / pitch))];
}

/**
 * The photos whose tiles the band (x0,y0)–(x1,y1) overlaps, in grid order. Pure arithmetic over
 * the layout, so it covers rows the virtualised grid has not put in the DOM (a band dragged with
 * auto-scroll over thousands of photos).
 */
export function indicesInBand(layout: GridLayout, count: number, s: Sections | null, x0: number, y0: number, x1: number, y1: number): number[] {
  const [cFrom, cTo] = span(Math.min(x0, x1), Math.max(x0, x1), layout.rowHeight, layout.tile, layout.cols);
  const top = Math.min(y0, y1);
  const bottom = Math.max(y0, y1);
  const out: number[] = [];
  if (cFrom > cTo || count === 0) return out;
  const rowsOf = (start: number, n: number, rowsTop: number) => {
    const [rFrom, rTo] = span(top - rowsTop, bottom - rowsTop, layout.rowHeight, layout.tile, Math.ceil(n / layout.cols));
    for (let r = rFrom; r <= rTo; r++) {
      for (let c = cFrom; c <= cTo; c++) {
        const i = r * layout.cols + c;
        if (i < n) out.push(start + i);
      }
    }
  };
  if (!s) {
    if (bottom >= 0) rowsOf(0, count, 0);
    return out;
  }
  for (let k = sectionAt(s, Math.max(0, top)); k < s.list.length; k++) {
    const sec = s.list[k]!;
    if (sec.top > bottom) break;
    rowsOf(sec.start, sec.count, sec.top + s.header);
  }
  return out;
}
