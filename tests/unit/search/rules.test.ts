import { describe, expect, it } from 'vitest';
import { applyRule, mergeMembers, type Scored } from '../../../app/search/rules.js';
import type { AlbumRule } from '../../../app/api/contract.js';
import { noise } from '../../helpers/engine.js';

function scores(seed: number, n: number, idBase = 1): Scored[] {
  const b = noise(seed, n * 2);
  return Array.from({ length: n }, (_, i) => ({ id: idBase + i, score: (b.readUInt16LE(i * 2) / 65535) * 2 - 1 }));
}
const sorted = (s: Scored[]) => [...s].sort((a, b) => b.score - a.score || a.id - b.id);

describe('album rules', () => {
  it('topN keeps the N best; relative keeps those within margin of the best, capped', () => {
    const s = sorted([{ id: 1, score: 0.9 }, { id: 2, score: 0.85 }, { id: 3, score: 0.7 }, { id: 4, score: 0.2 }]);
    expect(applyRule({ kind: 'topN', n: 2 }, s).map((x) => x.id)).toEqual([1, 2]);
    expect(applyRule({ kind: 'relative', margin: 0.1, max: 10 }, s).map((x) => x.id)).toEqual([1, 2]);
    expect(applyRule({ kind: 'relative', margin: 0.25, max: 2 }, s).map((x) => x.id)).toEqual([1, 2]);
    expect(applyRule({ kind: 'relative', margin: 0.25, max: 10 }, [])).toEqual([]);
  });

  const rules: AlbumRule[] = [
    { kind: 'topN', n: 7 },
    { kind: 'relative', margin: 0.3, max: 1000 },
    { kind: 'relative', margin: 0.5, max: 9 },
  ];
  for (const rule of rules) {
    it(`incremental merge equals a full re-rank (${JSON.stringify(rule)})`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const all = scores(seed, 60);
        let members: Scored[] = [];
        // Photos arrive in batches of 8; membership is only ever updated from the new batch.
        for (let i = 0; i < all.length; i += 8) members = mergeMembers(rule, members, all.slice(i, i + 8));
        expect(members).toEqual(applyRule(rule, sorted(all)));
      }
    });
  }
});
