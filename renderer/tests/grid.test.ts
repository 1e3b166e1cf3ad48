import { describe, expect, it } from 'vitest';
import { gridLayout, moveFocus, scrollToReveal, visibleRange } from '../src/lib/grid.js';

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
