import { describe, expect, it } from 'vitest';
import { gridLayout, indicesInBand, sectionLayout } from '../src/lib/grid.js';

describe('drag-to-select band geometry', () => {
  // 5 columns of 195 px tiles, 6 px gaps: column c spans [201c, 201c + 195).
  const l = gridLayout(1000, 168, 6);

  it('takes the tiles the band overlaps, not the ones only its gap touches', () => {
    expect(l).toMatchObject({ cols: 5, tile: 195, rowHeight: 201 });
    // Row 0, columns 0-1 (x 10..210 reaches into column 1 at 201).
    expect(indicesInBand(l, 100, null, 10, 10, 210, 20)).toEqual([0, 1]);
    // A band that starts inside the gap after column 0 does not take column 0.
    expect(indicesInBand(l, 100, null, 197, 10, 300, 20)).toEqual([1]);
    // Dragged upwards and leftwards: the same tiles.
    expect(indicesInBand(l, 100, null, 300, 20, 197, 10)).toEqual([1]);
    // Rows 1-2, columns 3-4.
    expect(indicesInBand(l, 100, null, 620, 210, 999, 450)).toEqual([8, 9, 13, 14]);
    // Past the last photo: nothing beyond count.
    expect(indicesInBand(l, 7, null, 0, 0, 999, 999)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(indicesInBand(l, 7, null, 0, 500, 999, 999)).toEqual([]);
  });

  it('works over rows far beyond what a virtualised grid renders (100k photos)', () => {
    const top = 15_000 * l.rowHeight;
    const got = indicesInBand(l, 100_000, null, 0, top + 5, 999, top + 3 * l.rowHeight - 10);
    expect(got).toHaveLength(15);
    expect(got[0]).toBe(15_000 * 5);
    expect(got[14]).toBe(15_002 * 5 + 4);
  });

  it('follows the timeline: day headers hold no tiles, short last rows end early', () => {
    const s = sectionLayout([{ day: '2024-01-02', count: 7, fileTime: 0 }, { day: '2024-01-01', count: 3, fileTime: 0 }], l, 44);
    // Section 0: header 0..44, rows at 44 and 245; section 1 header at 446, its row at 490.
    expect(s.list[1]!.top).toBe(446);
    expect(indicesInBand(l, 10, s, 0, 0, 999, 30)).toEqual([]);
    expect(indicesInBand(l, 10, s, 0, 250, 999, 500)).toEqual([5, 6, 7, 8, 9]);
    expect(indicesInBand(l, 10, s, 410, 50, 620, 600)).toEqual([2, 3, 9]);
  });
});
