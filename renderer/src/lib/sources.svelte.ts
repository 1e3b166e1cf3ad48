// Data sources for the virtualised grid. A source answers "how many" and "item i", loading
// pages lazily, so the grid can scroll through 100k photos holding only what is near the view.
import type { Photo } from '../../../app/api/contract.js';
import type { Group } from './grid.js';

export interface GridItem {
  photo: Photo;
  score?: number;
}

export interface GridSource {
  readonly count: number;
  item(i: number): GridItem | undefined;
  /** Ask for items [from, to) to be loaded; no-op for sources already in memory. */
  ensure(from: number, to: number): void;
  /** Items [from, to) as photos, loading what is not in memory (bulk actions over a selection); absent: item() has them all. */
  fetch?(from: number, to: number): Promise<(Photo | undefined)[]>;
}

export class ArraySource implements GridSource {
  items = $state<GridItem[]>([]);
  constructor(items: GridItem[] = []) {
    this.items = items;
  }
  get count(): number {
    return this.items.length;
  }
  item(i: number): GridItem | undefined {
    return this.items[i];
  }
  ensure(): void {}
  async fetch(from: number, to: number): Promise<(Photo | undefined)[]> {
    return this.items.slice(from, to).map((it) => it.photo);
  }
}

export type PageLoader = (offset: number, limit: number) => Promise<{ items: Photo[]; total: number }>;

/** Lazily paged photos (the library, a folder): pages of `pageSize` fetched on demand. */
export class PagedSource implements GridSource {
  total = $state(0);
  /** The timeline's day groups (date sorts), once loaded; the grid shows a header per day. */
  groups = $state<Group[] | null>(null);
  loaded = $state(false);
  error = $state<string | null>(null);
  private version = $state(0);
  // Plain collections on purpose: `version` is the one reactive signal, bumped once per page that lands.
  /* eslint-disable svelte/prefer-svelte-reactivity -- reactivity comes from `version`, not per-entry signals */
  private pages = new Map<number, Photo[]>();
  private stale = new Map<number, Photo[]>();
  private inflight = new Set<number>();
  /* eslint-enable svelte/prefer-svelte-reactivity */
  private generation = 0;
  private lastRange: [number, number] = [0, 0];

  private groupsAsked = false;

  constructor(
    private readonly load: PageLoader,
    private readonly pageSize = 240,
    private readonly loadGroups?: () => Promise<Group[]>,
  ) {}

  /** Day groups are fetched with the first page and again on refresh (photos changed). */
  private fetchGroups(): void {
    if (!this.loadGroups) return;
    this.groupsAsked = true;
    const gen = this.generation;
    this.loadGroups().then(
      (g) => {
        if (gen === this.generation) this.groups = g;
      },
      () => undefined, // without groups the grid is a plain grid: nothing is lost
    );
  }

  get count(): number {
    return this.total;
  }

  item(i: number): GridItem | undefined {
    void this.version; // reactive dependency: re-read when a page lands
    const p = Math.floor(i / this.pageSize);
    const page = this.pages.get(p) ?? this.stale.get(p);
    const photo = page?.[i % this.pageSize];
    return photo ? { photo } : undefined;
  }

  ensure(from: number, to: number): void {
    this.lastRange = [from, to];
    if (!this.groupsAsked) this.fetchGroups();
    const first = Math.floor(from / this.pageSize);
    const last = Math.floor(Math.max(from, to - 1) / this.pageSize);
    for (let p = first; p <= last; p++) this.fetchPage(p);
  }

  /** Fresh from the service in the largest pages it allows (not cached: a one-off for bulk actions). */
  async fetch(from: number, to: number): Promise<(Photo | undefined)[]> {
    const out: (Photo | undefined)[] = [];
    for (let o = from; o < to; o += 1000) {
      const r = await this.load(o, Math.min(1000, to - o));
      out.push(...r.items);
      if (r.items.length === 0) break;
    }
    return out;
  }

  /** Re-fetch what is on screen (after photos changed) without blanking it meanwhile. */
  refresh(): void {
    this.generation++;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- plain cache, see `version`
    this.stale = new Map([...this.stale, ...this.pages]);
    this.pages.clear();
    this.inflight.clear();
    const [from, to] = this.lastRange;
    this.fetchGroups();
    this.ensure(from, Math.max(to, from + 1));
  }

  private fetchPage(p: number): void {
    if (this.pages.has(p) || this.inflight.has(p)) return;
    this.inflight.add(p);
    const gen = this.generation;
    this.load(p * this.pageSize, this.pageSize).then(
      (r) => {
        if (gen !== this.generation) return;
        this.inflight.delete(p);
        this.pages.set(p, r.items);
        this.stale.delete(p);
        this.total = r.total;
        this.loaded = true;
        this.error = null;
        if (this.pages.size > 60) this.evict(p);
        this.version++;
      },
      (err: unknown) => {
        if (gen !== this.generation) return;
        this.inflight.delete(p);
        this.error = err instanceof Error ? err.message : String(err);
        this.loaded = true;
        this.version++;
      },
    );
  }

  /** Keep memory flat while scrolling far: drop the pages furthest from the one just loaded. */
  private evict(centre: number): void {
    const keys = [...this.pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const k of keys.slice(0, this.pages.size - 40)) this.pages.delete(k);
    this.stale.clear();
  }
}
