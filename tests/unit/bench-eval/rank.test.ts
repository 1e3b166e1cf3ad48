// Exact ranking used by the benchmark runners: checked against a sort of all scores.
import { describe, expect, it } from 'vitest';
import { dot, normalizeRows, rankIds, topKByDot } from '../../../bench/eval/rank.js';

describe('topKByDot / rankIds', () => {
  it('matches a full sort on random data (dim not a multiple of 4)', () => {
    const dim = 7;
    const n = 300;
    let s = 7;
    const r = () => { s = (s * 16807) % 2147483647; return s / 2147483647 - 0.5; };
    const data = new Float32Array(n * dim).map(r);
    const q = new Float32Array(dim).map(r);
    const scores = Array.from({ length: n }, (_, i) => ({ i, s: dot(q, data, i * dim) })).sort((a, b) => b.s - a.s);
    expect(Array.from(topKByDot(data, dim, q, 10))).toEqual(scores.slice(0, 10).map((x) => x.i));
    // k larger than n returns every row
    expect(topKByDot(data.subarray(0, 3 * dim), dim, q, 10)).toHaveLength(3);
  });

  it('rankIds skips excluded ids and still returns k results', () => {
    const dim = 2;
    const data = new Float32Array([1, 0, 0.9, 0.1, 0.8, 0.2, 0, 1]);
    const ids = ['a', 'b', 'c', 'd'];
    const q = new Float32Array([1, 0]);
    expect(rankIds(data, dim, ids, q, 2)).toEqual(['a', 'b']);
    expect(rankIds(data, dim, ids, q, 2, new Set(['a']))).toEqual(['b', 'c']);
    // ties keep the lower index first
    expect(rankIds(new Float32Array([1, 0, 1, 0]), dim, ['x', 'y'], q, 2)).toEqual(['x', 'y']);
  });

  it('normalizeRows gives unit rows and leaves zero rows alone', () => {
    const m = normalizeRows(new Float32Array([3, 4, 0, 0]), 2);
    expect(Array.from(m)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
  });
});
