// Max-abs difference and cosine similarity between two float vectors.
export function compare(got: ArrayLike<number>, want: ArrayLike<number>): { maxAbs: number; cosine: number } {
  if (got.length !== want.length) throw new Error(`length ${got.length} ≠ ${want.length}`);
  let maxAbs = 0, dot = 0, na = 0, nb = 0;
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, b = want[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(a - b));
    dot += a * b; na += a * a; nb += b * b;
  }
  return { maxAbs, cosine: na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb) };
}

export const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);
