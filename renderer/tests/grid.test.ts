import { describe, expect, it } from 'vitest';
import { gridLayout, moveFocus, moveInSections, scrollToReveal, sectionLayout, sectionOf, tileSpan, visibleBlocks, visibleRange } from '../src/lib/grid.js';

describe('virtual grid math', () => {
  it('fits as many columns of at least the minimum tile size as the width allows', () => {
    expect(gridLayout(1000, 168, 6)).toMatchObject({ cols: 5, tile: 195 });
    expect(gridLayout(100, 168, 6).cols).toBe(1);
    expect(gridLayout(0).cols).toBe(1);
  });

  it('renders only the rows near the viewport, even at 100k photos', () => {
    const l = gridLayout(1060, 168, 6);
    const top = visibleRange(100_000, l, 0, 800, 3);
    expect(top.from).toBe(0);
    expect(top.to - top.from).toBeLessThanOrEqual(l.cols * 12);
    const rows = Math.ceil(100_000 / l.cols);
    expect(top.totalHeight).toBe(rows * l.rowHeight - l.gap);
    const end = visibleRange(100_000, l, top.totalHeight - 800, 800, 3);
    expect(end.to).toBe(100_000);
    expect(end.to - end.from).toBeLessThanOrEqual(l.cols * 12);
    expect(end.offsetY).toBe(Math.floor(end.from / l.cols) * l.rowHeight);
    const mid = visibleRange(100_000, l, 500_000, 800, 3);
    expect(mid.from % l.cols).toBe(0);
    expect(mid.from).toBeGreaterThan(0);
  });

  it('moves keyboard focus within bounds and scrolls to reveal it', () => {
    expect(moveFocus(-1, 'ArrowRight', 5, 20)).toBe(0);
    expect(moveFocus(0, 'ArrowRight', 5, 20)).toBe(1);
    expect(moveFocus(3, 'ArrowDown', 5, 20)).toBe(8);
    expect(moveFocus(18, 'ArrowDown', 5, 20)).toBe(19);
    expect(moveFocus(2, 'ArrowUp', 5, 20)).toBe(0);
    expect(moveFocus(7, 'End', 5, 20)).toBe(19);
    expect(moveFocus(7, 'Home', 5, 20)).toBe(0);
    expect(moveFocus(7, 'x', 5, 20)).toBe(7);
    expect(moveFocus(0, 'ArrowRight', 5, 0)).toBe(-1);
    const l = gridLayout(1000, 168, 6);
    expect(scrollToReveal(0, l, 0, 600)).toBeNull();
    expect(scrollToReveal(50, l, 0, 600)).toBe(10 * l.rowHeight + l.tile - 600);
    expect(scrollToReveal(0, l, 500, 600)).toBe(0);
  });
});

describe('timeline sections', () => {
  const l = gridLayout(1000, 168, 6); // 5 columns
  const groups = [
    { day: '2026-12-03', count: 7, fileTime: 0 },
    { day: '2026-12-01', count: 3, fileTime: 1 },
    { day: '2026-11-30', count: 11, fileTime: 0 },
  ];
  const s = sectionLayout(groups, l, 40);

  it('lays out a header and whole rows per day', () => {
    expect(s.list.map((x) => [x.start, x.rows, x.top, x.rowBase])).toEqual([
      [0, 2, 0, 1],
      [7, 1, 40 + 2 * l.rowHeight, 4],
      [10, 3, 80 + 3 * l.rowHeight, 6],
    ]);
    expect(s.totalRows).toBe(9);
    expect(s.totalHeight).toBe(120 + 6 * l.rowHeight - l.gap);
    expect([0, 6, 7, 9, 10, 20].map((i) => sectionOf(s, i))).toEqual([0, 0, 1, 1, 2, 2]);
    expect(tileSpan(s, l, 12)).toEqual([s.list[2]!.top + 40, s.list[2]!.top + 40 + l.tile]);
  });

  it('windows the blocks near the viewport, at 100k photos too', () => {
    const all = visibleBlocks(s, l, 0, 2000, 3);
    expect(all.map((b) => [b.from, b.to, b.withHeader])).toEqual([[0, 7, true], [7, 10, true], [10, 21, true]]);
    const big = sectionLayout(Array.from({ length: 70 }, (_, k) => ({ day: `d${k}`, count: 1440, fileTime: 0 })), l, 40);
    const mid = visibleBlocks(big, l, big.totalHeight / 2, 800, 3);
    const rendered = mid.reduce((n, b) => n + b.to - b.from, 0);
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThanOrEqual(l.cols * 13);
    const b = mid[0]!;
    const sec = b.section!;
    expect(b.y).toBe(b.withHeader ? sec.top : sec.top + 40 + ((b.from - sec.start) / l.cols) * l.rowHeight);
  });

  it('moves down and up by column across day boundaries', () => {
    expect(moveInSections(s, 6, 'ArrowDown', 5, 21)).toBe(8); // row 2 of day 1 → day 2, same column (1)
    expect(moveInSections(s, 4, 'ArrowDown', 5, 21)).toBe(6); // short last row: its last photo
    expect(moveInSections(s, 9, 'ArrowDown', 5, 21)).toBe(12);
    expect(moveInSections(s, 12, 'ArrowUp', 5, 21)).toBe(9); // day 2 has 3 photos: column 2 is its last
    expect(moveInSections(s, 8, 'ArrowUp', 5, 21)).toBe(6);
    expect(moveInSections(s, 2, 'ArrowUp', 5, 21)).toBe(2);
    expect(moveInSections(s, 3, 'ArrowRight', 5, 21)).toBe(4);
  });
});
