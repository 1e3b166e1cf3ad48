// The recent searches the search bar offers: kept in the settings table (one JSON value, so no
// migration), newest first, capped, each one unique by what it searches for.
import type { RecentSearch } from '../../api/contract.js';
import { toPhoto, type PhotoRepo } from '../../store/photos.js';
import type { SettingsRepo } from '../../store/settings.js';

const KEY = 'recentSearches';
/** How many are kept: enough for a menu under the search field, few enough to scan at a glance. */
export const MAX_RECENT = 12;

export interface RecentKey {
  kind: RecentSearch['kind'];
  photoId: number | null;
  text: string;
}
type Stored = RecentKey & { at: number };

const same = (a: RecentKey, b: RecentKey) => a.kind === b.kind && a.photoId === b.photoId && a.text === b.text;

export class RecentSearches {
  constructor(
    private readonly repo: SettingsRepo,
    private readonly photos: PhotoRepo,
    private readonly now: () => number = Date.now,
  ) {}

  private stored(): Stored[] {
    const v = this.repo.get<unknown>(KEY);
    // A value that is not what we wrote (hand-edited, older build) is treated as no history.
    if (!Array.isArray(v)) return [];
    return v.filter((e): e is Stored => !!e && typeof e === 'object' && typeof (e as Stored).kind === 'string' && typeof (e as Stored).text === 'string');
  }

  /** Newest first, with each query photo as it is now; entries whose photo left the library are dropped. */
  list(): RecentSearch[] {
    const entries = this.stored();
    const rows = this.photos.byIds(entries.flatMap((e) => (e.photoId === null ? [] : [e.photoId])));
    const out: RecentSearch[] = [];
    for (const e of entries) {
      const row = e.photoId === null ? null : rows.get(e.photoId);
      if (row === undefined) continue;
      out.push({ kind: e.kind, photoId: e.photoId, text: e.text, at: e.at, photo: row ? toPhoto(row) : null });
    }
    return out;
  }

  remember(key: RecentKey): RecentSearch[] {
    const rest = this.stored().filter((e) => !same(e, key));
    this.repo.set(KEY, [{ ...key, at: this.now() }, ...rest].slice(0, MAX_RECENT));
    return this.list();
  }

  /** Forgets one search, or every one when no key is given. */
  forget(key?: RecentKey): RecentSearch[] {
    this.repo.set(KEY, key ? this.stored().filter((e) => !same(e, key)) : []);
    return this.list();
  }
}
