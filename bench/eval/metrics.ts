// Retrieval metrics exactly as the composed-image-retrieval benchmarks define them, so figures printed by
// bench/quality.ts are comparable with the MagicLens paper's tables:
// - CIRCO (miccunifi/CIRCO src/evaluation.py): AP@k = (1 / min(k, |G|)) · Σ_{i≤k} P@i · rel(i), G = all ground truths;
//   its Recall@k uses only the single annotated target.
// - CIRR (Liu et al. 2021, the CLIP4Cir/SEARLE validation code): the reference image is removed from the ranking
//   first; Recall@k is a hit of the target in the top k; Recall_subset@k ranks only the query's image set
//   (img_set.members, minus the reference).
// - FashionIQ, DTIN, GeneCIS: Recall@k as a hit rate (any relevant item in the top k).
// - Sketch retrieval (ZS-SBIR convention): mAP@200 and Precision@k with category-level relevance.
// Ids are compared with ===, so callers must use one id type (string or number) consistently.
// Hand-written because these are a few lines each and the benchmark definitions (min(k,|G|) normaliser,
// reference exclusion) differ from every general-purpose IR library's defaults.

export type Id = string | number;

function asSet<T extends Id>(relevant: Iterable<T>): Set<T> {
  return relevant instanceof Set ? (relevant as Set<T>) : new Set(relevant);
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

/** Removes the given ids from a ranking, keeping the order (CIRR drops the reference image from the results). */
export function excludeIds<T extends Id>(ranked: readonly T[], exclude: Iterable<T>): T[] {
  const ex = asSet(exclude);
  return ranked.filter((id) => !ex.has(id));
}

/** 1 if any relevant id is in the top k, else 0 (averaged over queries this is Recall@k). */
export function hitAtK<T extends Id>(ranked: readonly T[], relevant: Iterable<T>, k: number): number {
  checkK(k);
  const rel = asSet(relevant);
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (rel.has(ranked[i] as T)) return 1;
  return 0;
}

/** Precision@k: relevant ids among the top k, divided by k (not by the list length: a short list is penalised). */
export function precisionAtK<T extends Id>(ranked: readonly T[], relevant: Iterable<T>, k: number): number {
  checkK(k);
  const rel = asSet(relevant);
  const n = Math.min(k, ranked.length);
  let hits = 0;
  for (let i = 0; i < n; i++) if (rel.has(ranked[i] as T)) hits++;
  return hits / k;
}

/**
 * Average precision at k as CIRCO defines it: AP@k = (1 / min(k, |G|)) · Σ_{i=1..k} P@i · rel(i).
 * |G| is the number of ground truths (duplicates in `relevant` count once). Returns 0 when G is empty.
 */
export function averagePrecisionAtK<T extends Id>(ranked: readonly T[], relevant: Iterable<T>, k: number): number {
  checkK(k);
  const rel = asSet(relevant);
  if (rel.size === 0) return 0;
  const n = Math.min(k, ranked.length);
  let hits = 0;
  let sum = 0;
  const seen = new Set<T>();
  for (let i = 0; i < n; i++) {
    const id = ranked[i] as T;
    // A ranking lists each item once; a repeated id would double-count a ground truth, so it counts as a miss.
    if (rel.has(id) && !seen.has(id)) {
      seen.add(id);
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / Math.min(k, rel.size);
}

/**
 * CIRR's Recall_subset@k for one query: the ranking restricted to the query's image set (in ranking order),
 * with the reference removed; 1 if the target is within the first k of that restricted list.
 */
export function subsetHitAtK<T extends Id>(ranked: readonly T[], target: T, subset: Iterable<T>, reference: T, k: number): number {
  checkK(k);
  const members = asSet(subset);
  let pos = 0;
  for (const id of ranked) {
    if (id === reference || !members.has(id)) continue;
    if (id === target) return pos < k ? 1 : 0;
    pos++;
    if (pos >= k) return 0;
  }
  return 0;
}

/** 1-based rank of the first relevant id, or Infinity when none is ranked. */
export function firstRelevantRank<T extends Id>(ranked: readonly T[], relevant: Iterable<T>): number {
  const rel = asSet(relevant);
  for (let i = 0; i < ranked.length; i++) if (rel.has(ranked[i] as T)) return i + 1;
  return Number.POSITIVE_INFINITY;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** One evaluated query: its ranking (best first) and its ground truth. */
export interface QueryResult<T extends Id = Id> {
  ranked: readonly T[];
  relevant: Iterable<T>;
}

/** Recall@k over queries (mean hit rate), as a fraction in [0,1]. */
export function recallAtK<T extends Id>(queries: readonly QueryResult<T>[], k: number): number {
  return mean(queries.map((q) => hitAtK(q.ranked, q.relevant, k)));
}

/** mAP@k over queries (CIRCO's definition of AP@k). */
export function mapAtK<T extends Id>(queries: readonly QueryResult<T>[], k: number): number {
  return mean(queries.map((q) => averagePrecisionAtK(q.ranked, q.relevant, k)));
}

/** Mean Precision@k over queries. */
export function meanPrecisionAtK<T extends Id>(queries: readonly QueryResult<T>[], k: number): number {
  return mean(queries.map((q) => precisionAtK(q.ranked, q.relevant, k)));
}

/** mAP@200, the sketch-retrieval convention (Sketchy zero-shot split). */
export function mapAt200<T extends Id>(queries: readonly QueryResult<T>[]): number {
  return mapAtK(queries, 200);
}

/** A CIRR query: ranking over the whole gallery (it may still contain the reference), target and image set. */
export interface SubsetQuery<T extends Id = Id> {
  ranked: readonly T[];
  target: T;
  reference: T;
  subset: Iterable<T>;
}

/** CIRR Recall_subset@k over queries. */
export function recallSubsetAtK<T extends Id>(queries: readonly SubsetQuery<T>[], k: number): number {
  return mean(queries.map((q) => subsetHitAtK(q.ranked, q.target, q.subset, q.reference, k)));
}

/** CIRR Recall@k over queries: the reference is removed from each ranking before looking at the top k. */
export function cirrRecallAtK<T extends Id>(queries: readonly SubsetQuery<T>[], k: number): number {
  return mean(queries.map((q) => hitAtK(excludeIds(q.ranked, [q.reference]), [q.target], k)));
}
