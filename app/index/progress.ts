// Rate and ETA for the progress events: an exponential moving average of photos/second over
// batches, so one slow batch (a HEIC, a cold cache) does not make the ETA jump around.
export class RateMeter {
  private rate = 0;
  private last: number | null = null;
  constructor(private readonly alpha = 0.3) {}
  reset(): void {
    this.rate = 0;
    this.last = null;
  }
  /** Record `n` items completed now; returns items/second. */
  tick(n: number, now = performance.now()): number {
    if (this.last === null) {
      this.last = now;
      return this.rate;
    }
    const dt = (now - this.last) / 1000;
    this.last = now;
    if (dt <= 0) return this.rate;
    const r = n / dt;
    this.rate = this.rate === 0 ? r : this.alpha * r + (1 - this.alpha) * this.rate;
    return this.rate;
  }
  start(now = performance.now()): void {
    this.last = now;
  }
  get value(): number {
    return this.rate;
  }
}
