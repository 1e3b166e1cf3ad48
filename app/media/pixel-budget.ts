// Decoding under a pixel budget. A decoded photo costs memory in proportion to its pixel count
// (3–4 bytes per pixel for the raw sRGB buffer, plus a 3-byte copy when alpha is dropped), not to
// its file size: a 165 KB greyscale PNG of 13000×13000 decodes to 507 MB. Bounding the number of
// concurrent decodes alone let four such files decode at once (2.7 GB peak RSS); this weighted
// semaphore bounds the SUM of their pixels instead, read from the header before any decode.
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * After a decode this large, collect garbage before its pixels go back to the budget. The raw
 * buffers are external memory that V8 frees only at its next GC, which under a steady stream of
 * decodes comes late: measured with 13000×13000 PNGs decoded whole, two finished decodes' buffers
 * (507 MB each) were still resident when the next one started, so a budget counted in pixels did not
 * bound RSS. Since non-JPEG photos over 24 MP are reduced while they stream (preprocess.ts
 * reducedDecodeSide), only a HEIC over 40 MP still decodes whole at this size. A full GC costs
 * 8–20 ms, against seconds for such a decode; camera photos never pay it.
 */
export const COLLECT_ABOVE_PIXELS = 40_000_000;

let collector: (() => void) | null | undefined;
/** V8's gc(), reachable without the --expose-gc command-line flag (null where refused). */
function collectGarbage(): void {
  if (collector === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      collector = vm.runInNewContext('gc') as () => void;
    } catch {
      collector = null;
    }
  }
  collector?.();
}

/**
 * A FIFO weighted semaphore over pixels. A request is granted when it fits in what is left;
 * a request larger than the whole budget is granted alone (nothing else in flight), so one
 * photo at the per-file limit can always be decoded. FIFO order: a big photo waiting at the
 * head is not starved by a stream of small ones behind it.
 */
export class PixelBudget {
  private inFlight = 0;
  private peakInFlight = 0;
  private readonly queue: { px: number; grant: () => void }[] = [];

  constructor(readonly totalPixels: number) {
    if (!(totalPixels > 0)) throw new RangeError('pixel budget must be positive');
  }

  /** Pixels of the decodes running now. */
  get current(): number {
    return this.inFlight;
  }

  /** The most pixels ever in flight at once (for tests and benchmarks). */
  get peak(): number {
    return this.peakInFlight;
  }

  /** Runs fn once `pixels` fit in the budget, and gives them back when fn settles. */
  async run<T>(pixels: number, fn: () => Promise<T>): Promise<T> {
    const px = Math.min(Math.max(1, Math.ceil(pixels)), this.totalPixels);
    await this.acquire(px);
    try {
      return await fn();
    } finally {
      if (pixels >= COLLECT_ABOVE_PIXELS) collectGarbage();
      this.inFlight -= px;
      this.drain();
    }
  }

  private acquire(px: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.queue.push({ px, grant: resolve });
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight + this.queue[0]!.px <= this.totalPixels) {
      const next = this.queue.shift()!;
      this.inFlight += next.px;
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
      next.grant();
    }
  }
}

/**
 * The process-wide budget the indexer's decodes share. Whole decodes are at most STREAM_ABOVE_PIXELS
 * (24 MP) except HEIC (its wasm decoder cannot stream); larger photos are reduced while they decode and
 * weigh only their reduced size. 32 MP in flight at ≤ 7 bytes per pixel (RGBA decode + RGB copy) bounds
 * decode memory near 224 MB in the worst case (96 MB for opaque images), which with the base pack's
 * sessions keeps indexing under 1.5 GB; four 12-MP JPEGs (shrink-on-load: 0.75 MP each) still decode
 * at once. A HEIC over the budget is decoded alone.
 */
export const DECODE_BUDGET_PIXELS = 32_000_000;
export const decodeBudget = new PixelBudget(DECODE_BUDGET_PIXELS);