// What the indexer needs from the bulk (indexing) lane: one worker (bulk-lane.ts) or sessions side by side (lane-pool.ts).
export interface Embedder {
  readonly modelId: string;
  readonly dim: number;
  readonly provider: string;
  /** n images (NHWC, normalised) → n×D CLIP image embeddings and n×D target embeddings. */
  embed(pixels: Float32Array, n: number): Promise<{ clip: Float32Array; target: Float32Array }>;
  close(): Promise<void>;
  /**
   * The idle release: frees the image tower's session (most of the lane's memory) and keeps the rest
   * (worker, fusion head, e_text("")), so reopening costs one session open from the cached graph.
   */
  idle(): Promise<void>;
  /** Opens the image tower again after idle() (embed() also does, on its first batch). */
  wake(): Promise<void>;
  /** False between idle() and the next wake() or embed(). */
  readonly imageOpen: boolean;
  /** Why the worker thread was not used (null when it is). */
  readonly fallbackReason: string | null;
  /** False once the lane can no longer run (its worker exited). */
  readonly alive: boolean;
}
