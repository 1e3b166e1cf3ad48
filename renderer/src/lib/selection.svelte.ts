// The grid's selection: indices into the source on screen (a new source starts a new selection).
// Indices rather than photo ids so Ctrl+A over 100k lazily paged photos costs nothing until an
// action runs; photoIds() then resolves them, fetching pages not loaded yet.
import { SvelteSet } from 'svelte/reactivity';
import type { GridSource } from './sources.svelte.js';

export class Selection {
  source = $state<GridSource | null>(null);
  /** Every index of the source (Ctrl+A): kept as a flag so selecting 100k photos is instant. */
  all = $state(false);
  readonly picked = new SvelteSet<number>();
  /** Where the last plain or Ctrl click landed: Shift-click selects from here. */
  anchor = -1;

  get size(): number {
    return this.all ? (this.source?.count ?? 0) - this.picked.size : this.picked.size;
  }
  /** While anything is selected, a plain click selects too (as in every photo manager). */
  get active(): boolean {
    return this.size > 0;
  }
  has(i: number): boolean {
    // With `all`, `picked` holds the exceptions (photos unticked after Ctrl+A).
    return this.all ? !this.picked.has(i) : this.picked.has(i);
  }

  private bind(source: GridSource): void {
    if (this.source !== source) {
      this.clear();
      this.source = source;
    }
  }

  toggle(source: GridSource, i: number): void {
    this.bind(source);
    if (this.picked.has(i)) this.picked.delete(i);
    else this.picked.add(i);
    this.anchor = i;
  }

  /** Shift-click: everything from the anchor to `i` becomes selected (the rest stays). */
  extend(source: GridSource, i: number): void {
    this.bind(source);
    const from = this.anchor < 0 ? i : this.anchor;
    const [a, b] = from <= i ? [from, i] : [i, from];
    for (let k = a; k <= b; k++) {
      if (this.all) this.picked.delete(k);
      else this.picked.add(k);
    }
  }

  /** Drag-select: exactly the indices in [a, b] plus what was selected before the drag. */
  setRange(source: GridSource, a: number, b: number, base: ReadonlySet<number>): void {
    this.bind(source);
    this.all = false;
    this.picked.clear();
    for (const k of base) this.picked.add(k);
    for (let k = Math.min(a, b); k <= Math.max(a, b); k++) this.picked.add(k);
  }

  /** The selection when the band began: a plain snapshot, never read by the view. */
  private bandBase: { all: boolean; picked: readonly number[] } | null = null;

  /**
   * Drag-select: the photos inside the band, plus (when the drag began with Shift/Ctrl) what was
   * selected then. Called on every move of the band; endBand() when it is released.
   */
  band(source: GridSource, inside: readonly number[], additive: boolean): void {
    this.bandBase ??= additive && this.source === source ? { all: this.all, picked: [...this.picked] } : { all: false, picked: [] };
    const base = this.bandBase;
    this.bind(source);
    this.picked.clear();
    this.all = base.all;
    if (base.all) {
      // After Ctrl+A `picked` holds exceptions: the band takes its photos out of them.
      for (const k of base.picked) this.picked.add(k);
      for (const k of inside) this.picked.delete(k);
    } else {
      for (const k of base.picked) this.picked.add(k);
      for (const k of inside) this.picked.add(k);
    }
    if (inside.length > 0) this.anchor = inside[inside.length - 1]!;
  }

  endBand(): void {
    this.bandBase = null;
  }

  selectAll(source: GridSource): void {
    this.bind(source);
    this.picked.clear();
    this.all = true;
  }

  clear(): void {
    this.picked.clear();
    this.all = false;
    this.anchor = -1;
  }

  /** The selected photos' ids, in grid order; pages not loaded yet are fetched. */
  async photoIds(): Promise<number[]> {
    const src = this.source;
    if (!src) return [];
    const wanted = this.all ? null : [...this.picked].sort((a, b) => a - b);
    const from = wanted ? (wanted[0] ?? 0) : 0;
    const to = wanted ? (wanted[wanted.length - 1] ?? -1) + 1 : src.count;
    const photos = src.fetch ? await src.fetch(from, to) : Array.from({ length: Math.max(0, to - from) }, (_, k) => src.item(from + k)?.photo);
    const out: number[] = [];
    for (let k = from; k < to; k++) {
      const p = photos[k - from];
      if (p && this.has(k)) out.push(p.id);
    }
    return out;
  }
}
