// Album membership rules, applied to candidates sorted by score (descending).
//
// topN: the N best. relative: every photo within `margin` of the best match, capped at `max`.
// Why relative and not a flat cosine cutoff: absolute cosine levels shift per query and per model
// (a composed query's best match may score 0.35 or 0.8), so one threshold is too strict for some
// queries and admits everything for others. Scoring relative to the query's own best match adapts
// to that scale. Measured (app/search/README.md; bench/measure/album-rule.ts, demo pack,
// 287 held-out (photo, instruction) queries, parameter tuned on one half, F1 on the other):
// relative 0.558 (margin 0.06) > top-N 0.521 (N = 2) > best flat cutoff 0.494 (t ≈ 0.81).
import type { AlbumRule } from '../api/contract.js';

export interface Scored {
  id: number;
  score: number;
}

/** How many candidates a full album search must fetch to apply the rule. */
export function ruleLimit(rule: AlbumRule): number {
  return rule.kind === 'topN' ? rule.n : rule.max;
}

export function applyRule(rule: AlbumRule, sorted: Scored[]): Scored[] {
  if (rule.kind === 'topN') return sorted.slice(0, rule.n);
  const best = sorted[0]?.score;
  if (best === undefined) return [];
  const floor = best - rule.margin;
  const out: Scored[] = [];
  for (const s of sorted) {
    if (s.score < floor || out.length >= rule.max) break;
    out.push(s);
  }
  return out;
}

/**
 * Incremental update: the current members plus newly scored photos, re-ruled. Exact for both rules
 * when photos are only added: a photo outside the album can only be pushed further out by new
 * photos (topN: more competitors; relative: the best can only rise). Removals need a full search.
 */
export function mergeMembers(rule: AlbumRule, current: Scored[], added: Scored[]): Scored[] {
  const byId = new Map<number, Scored>();
  for (const s of current) byId.set(s.id, s);
  for (const s of added) byId.set(s.id, s);
  const all = [...byId.values()].sort((a, b) => b.score - a.score || a.id - b.id);
  return applyRule(rule, all);
}
