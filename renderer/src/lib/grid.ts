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
