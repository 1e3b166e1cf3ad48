// Hand-computed cases for the benchmark metrics (the arithmetic is written out next to each expectation).
import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAtK, cirrRecallAtK, excludeIds, firstRelevantRank, hitAtK, mapAt200, mapAtK,
  meanPrecisionAtK, precisionAtK, recallAtK, recallSubsetAtK, subsetHitAtK,
} from '../../../bench/eval/metrics.js';

describe('averagePrecisionAtK (CIRCO definition)', () => {
  it('single ground truth at rank 3: AP@5 = (1/3) / min(5,1) = 1/3', () => {
    expect(averagePrecisionAtK(['a', 'b', 'g', 'c', 'd'], ['g'], 5)).toBeCloseTo(1 / 3, 12);
  });

  it('three ground truths at ranks 1, 3, 6: AP@5 = (1/1 + 2/3) / min(5,3) = 5/9', () => {
    const ranked = ['g1', 'x', 'g2', 'y', 'z', 'g3', 'w'];
    expect(averagePrecisionAtK(ranked, ['g1', 'g2', 'g3'], 5)).toBeCloseTo((1 + 2 / 3) / 3, 12);
    // AP@10 also sees g3 at rank 6: (1 + 2/3 + 3/6) / 3 = 13/18
    expect(averagePrecisionAtK(ranked, ['g1', 'g2', 'g3'], 10)).toBeCloseTo(13 / 18, 12);
  });

  it('normalises by min(k, |G|), not |G|: 4 ground truths, k = 2, both top-2 relevant → 1', () => {
    expect(averagePrecisionAtK([1, 2, 3, 4], [1, 2, 3, 4], 2)).toBe(1);
    // whereas only one of the top 2 relevant (rank 2): (1/2) / 2 = 0.25
    expect(averagePrecisionAtK([9, 2, 3, 4], [1, 2, 3, 4], 2)).toBeCloseTo(0.25, 12);
  });

  it('no ground truth in the top k gives 0; an empty ground truth gives 0', () => {
    expect(averagePrecisionAtK(['a', 'b', 'c'], ['z'], 3)).toBe(0);
    expect(averagePrecisionAtK(['a', 'b', 'c'], [], 3)).toBe(0);
  });

  it('matches the CIRCO reference formula on a mixed case', () => {
    // ranks 2, 4, 5 relevant out of |G| = 5; k = 5: (1/2 + 2/4 + 3/5) / min(5,5) = 1.6/5 = 0.32
    expect(averagePrecisionAtK(['n', 'a', 'n2', 'b', 'c', 'd', 'e'], ['a', 'b', 'c', 'd', 'e'], 5)).toBeCloseTo(0.32, 12);
  });

  it('a repeated id in the ranking does not count a ground truth twice', () => {
    expect(averagePrecisionAtK(['g', 'g', 'x'], ['g', 'h'], 3)).toBeCloseTo(1 / 2, 12);
  });

  it('rejects k < 1 and non-integers', () => {
    expect(() => averagePrecisionAtK(['a'], ['a'], 0)).toThrow(RangeError);
    expect(() => averagePrecisionAtK(['a'], ['a'], 1.5)).toThrow(RangeError);
  });
});

describe('precision and recall', () => {
  it('Precision@k divides by k even when the list is shorter', () => {
    expect(precisionAtK(['a', 'b', 'c', 'd'], ['a', 'c', 'z'], 4)).toBe(0.5);
    expect(precisionAtK(['a'], ['a'], 4)).toBe(0.25);
  });

  it('hit@k and Recall@k over queries', () => {
    expect(hitAtK(['x', 'y', 't'], ['t'], 2)).toBe(0);
    expect(hitAtK(['x', 'y', 't'], ['t'], 3)).toBe(1);
    const queries = [
      { ranked: ['t', 'a', 'b'], relevant: ['t'] },       // rank 1
      { ranked: ['a', 'b', 't'], relevant: ['t'] },       // rank 3
      { ranked: ['a', 'b', 'c'], relevant: ['t'] },       // missing
      { ranked: ['a', 'u', 'v'], relevant: ['u', 'v'] },  // first relevant at rank 2
    ];
    expect(recallAtK(queries, 1)).toBeCloseTo(1 / 4, 12);
    expect(recallAtK(queries, 2)).toBeCloseTo(2 / 4, 12);
    expect(recallAtK(queries, 3)).toBeCloseTo(3 / 4, 12);
    // mean Precision@2: (1/2 + 0 + 0 + 1/2) / 4 = 0.25
    expect(meanPrecisionAtK(queries, 2)).toBeCloseTo(0.25, 12);
    // mAP@3: q1 1; q2 (1/3)/1; q3 0; q4 (1/2 + 2/3)/2 = 7/12 → (1 + 1/3 + 0 + 7/12) / 4 = 23/48
    expect(mapAtK(queries, 3)).toBeCloseTo(23 / 48, 12);
  });

  it('firstRelevantRank is 1-based and Infinity when missing', () => {
    expect(firstRelevantRank(['a', 'b'], ['b'])).toBe(2);
    expect(firstRelevantRank(['a', 'b'], ['c'])).toBe(Number.POSITIVE_INFINITY);
  });

  it('mAP@200 sees relevant items up to rank 200 only', () => {
    const ranked = Array.from({ length: 300 }, (_, i) => i);
    // relevant: 0 (rank 1) and 250 (rank 251, beyond 200); AP@200 = (1/1) / min(200, 2) = 0.5
    expect(mapAt200([{ ranked, relevant: [0, 250] }])).toBeCloseTo(0.5, 12);
    // relevant at ranks 100 and 200: (1/100 + 2/200) / 2 = 0.01
    expect(mapAt200([{ ranked, relevant: [99, 199] }])).toBeCloseTo(0.01, 12);
  });
});

describe('CIRR Recall and Recall_subset', () => {
  // Gallery ranking for one query; the reference 'r' is ranked first (it always matches itself well).
  const ranked = ['r', 'x1', 's1', 'x2', 't', 's2', 's3', 's4'];
  const subset = ['r', 's1', 't', 's2', 's3', 's4']; // CIRR's img_set.members include the reference

  it('removes the reference before Recall@k', () => {
    expect(excludeIds(ranked, ['r'])).toEqual(['x1', 's1', 'x2', 't', 's2', 's3', 's4']);
    // without 'r' the target is at rank 4
    const q = [{ ranked, target: 't', reference: 'r', subset }];
    expect(cirrRecallAtK(q, 3)).toBe(0);
    expect(cirrRecallAtK(q, 4)).toBe(1);
  });

  it('Recall_subset@k ranks only the image set, minus the reference', () => {
    // restricted list: s1, t, s2, s3, s4 → the target is 2nd
    expect(subsetHitAtK(ranked, 't', subset, 'r', 1)).toBe(0);
    expect(subsetHitAtK(ranked, 't', subset, 'r', 2)).toBe(1);
    const queries = [
      { ranked, target: 't', reference: 'r', subset },
      { ranked: ['t', 'r', 's1'], target: 't', reference: 'r', subset }, // target first in the subset
      { ranked: ['s1', 's2', 's3', 't'], target: 't', reference: 'r', subset }, // 4th in the subset
    ];
    expect(recallSubsetAtK(queries, 1)).toBeCloseTo(1 / 3, 12);
    expect(recallSubsetAtK(queries, 2)).toBeCloseTo(2 / 3, 12);
    expect(recallSubsetAtK(queries, 3)).toBeCloseTo(2 / 3, 12);
  });

  it('a target outside the ranking or the subset is a miss', () => {
    expect(subsetHitAtK(['s1', 's2'], 't', ['s1', 's2', 't'], 'r', 3)).toBe(0);
    expect(subsetHitAtK(['t', 's1'], 't', ['s1'], 'r', 3)).toBe(0);
  });
});
