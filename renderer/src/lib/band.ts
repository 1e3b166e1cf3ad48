// Drag to select (a rubber band) over the virtualised grid. The band lives in the grid's content
// coordinates, so the tiles it covers come from layout arithmetic (grid.ts indicesInBand), not
// from the DOM: rows scrolled out of the DOM while auto-scrolling still count.

export interface BandRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface BandHost {
  scroller: HTMLElement;
  /** The element whose top-left is the content origin (the first tile's corner). */
  origin: HTMLElement;
  /** Whether a press on this element may start a band (blank space, or a tile while selecting). */
  canStart(target: Element): boolean;
  /** The band moved: `additive` when Shift/Ctrl/Cmd was held at the start. */
  update(x0: number, y0: number, x1: number, y1: number, additive: boolean): void;
  draw(rect: BandRect | null): void;
}

/** A press becomes a band past this many pixels: a click stays a click. */
const THRESHOLD = 5;
/** Near the grid's top or bottom edge the grid scrolls, faster the closer the pointer. */
const EDGE = 48;
const MAX_SPEED = 28;

export class RubberBand {
  private start: { x: number; y: number; id: number; additive: boolean } | null = null;
  private active = false;
  private last = { x: 0, y: 0 };
  private raf = 0;
  /** Set when a band ends, so the click the browser sends after pointerup is ignored. */
  swallowClick = false;

  constructor(private readonly host: BandHost) {}

  private content(clientX: number, clientY: number) {
    const r = this.host.origin.getBoundingClientRect();
    return { x: clientX - r.left, y: clientY - r.top };
  }

  down(e: PointerEvent): void {
    if (e.button !== 0 || !(e.target instanceof Element) || !this.host.canStart(e.target)) return;
    const p = this.content(e.clientX, e.clientY);
    this.start = { ...p, id: e.pointerId, additive: e.shiftKey || e.ctrlKey || e.metaKey };
    this.last = { x: e.clientX, y: e.clientY };
  }

  move(e: PointerEvent): void {
    if (!this.start || e.pointerId !== this.start.id) return;
    this.last = { x: e.clientX, y: e.clientY };
    if (!this.active) {
      const p = this.content(e.clientX, e.clientY);
      if (Math.hypot(p.x - this.start.x, p.y - this.start.y) < THRESHOLD) return;
      this.active = true;
      this.host.scroller.setPointerCapture(e.pointerId);
    }
    e.preventDefault(); // no text selection while banding
    this.refresh();
    this.autoScroll();
  }

  up(e: PointerEvent): void {
    if (!this.start || e.pointerId !== this.start.id) return;
    if (this.active) {
      this.swallowClick = true;
      setTimeout(() => (this.swallowClick = false), 0);
    }
    this.cancel();
  }

  cancel(): void {
    this.start = null;
    this.active = false;
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.host.draw(null);
  }

  private refresh(): void {
    const s = this.start;
    if (!s) return;
    const p = this.content(this.last.x, this.last.y);
    this.host.draw({ x: Math.min(s.x, p.x), y: Math.min(s.y, p.y), w: Math.abs(p.x - s.x), h: Math.abs(p.y - s.y) });
    this.host.update(s.x, s.y, p.x, p.y, s.additive);
  }

  private speed(): number {
    const r = this.host.scroller.getBoundingClientRect();
    if (this.last.y < r.top + EDGE) return -MAX_SPEED * Math.min(1, (r.top + EDGE - this.last.y) / EDGE);
    if (this.last.y > r.bottom - EDGE) return MAX_SPEED * Math.min(1, (this.last.y - (r.bottom - EDGE)) / EDGE);
    return 0;
  }

  private autoScroll(): void {
    if (this.raf || !this.active) return;
    const step = () => {
      this.raf = 0;
      const v = this.speed();
      if (!this.active || v === 0) return;
      this.host.scroller.scrollTop += v;
      this.refresh();
      this.raf = requestAnimationFrame(step);
    };
    this.raf = requestAnimationFrame(step);
  }
}
