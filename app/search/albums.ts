// Smart albums: a saved query resolved once to a vector (stored with the model id that made it),
// a membership rule, and scored member rows. Creating or editing an album runs one full KNN;
// newly indexed photos are only scored against each album's stored vector (inside the indexer's
// batch transaction, so membership and embeddings commit together); deletions trigger a full
// re-rank of the albums they touched (one KNN each, milliseconds).
// Manual albums (and favourites' cousins: photos the user put in an album) are never ranked: they
// hold exactly the photos added, until removed or deleted from the library.
import { ApiError, type Album, type AlbumQuery, type AlbumRule, type SearchFilters, type SearchHit } from '../api/contract.js';
import type { AlbumRepo, AlbumRow } from '../store/albums.js';
import type { PhotoRepo } from '../store/photos.js';
import { toPhoto } from '../store/photos.js';
import type { VecKind } from '../store/vectors.js';
import { rowMatches } from './filters.js';
import { applyRule, mergeMembers, ruleLimit, type Scored } from './rules.js';
import type { SearchEngine } from './search.js';

export function spaceOf(q: AlbumQuery): VecKind {
  return q.kind === 'text' ? 'clip' : 'target';
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

function queryPhotoId(q: AlbumQuery): number | null {
  return q.kind === 'text' ? null : q.photoId;
}

export class AlbumEngine {
  constructor(
    private readonly albums: AlbumRepo,
    private readonly photos: PhotoRepo,
    private readonly search: SearchEngine,
    private readonly emit: (id: number, count: number) => void,
  ) {}

  toAlbum(a: AlbumRow): Album {
    return {
      id: a.id,
      name: a.name,
      kind: a.kind,
      query: a.query,
      rule: a.rule,
      filters: a.filters,
      count: this.albums.count(a.id),
      coverPhotoId: this.albums.cover(a.id),
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
    };
  }

  list(): Album[] {
    return this.albums.all().map((a) => this.toAlbum(a));
  }

  async create(p: { name: string; query: AlbumQuery; rule: AlbumRule; filters: SearchFilters }): Promise<Album> {
    // Resolve the query first: a bad photo id or no model fails before anything is stored.
    const { vec } = await this.search.queryVector(p.query);
    const id = this.albums.insert(p);
    this.albums.setQueryVec(id, await this.search.modelId(), vec);
    await this.refresh(id);
    return this.toAlbum(this.albums.get(id)!);
  }

  async update(p: { id: number; name?: string; rule?: AlbumRule; filters?: SearchFilters }): Promise<Album> {
    const cur = this.albums.get(p.id);
    if (!cur) throw new ApiError('not_found', `no album ${p.id}`);
    if (cur.kind === 'manual' && (p.rule || p.filters)) throw new ApiError('bad_input', `album ${p.id} is a manual album: it has no rule or filters, only a name`);
    this.albums.update(p.id, p);
    if (p.rule || p.filters) await this.refresh(p.id);
    return this.toAlbum(this.albums.get(p.id)!);
  }

  delete(id: number): boolean {
    return this.albums.delete(id);
  }

  async get(id: number, offset: number, limit: number): Promise<{ album: Album; hits: SearchHit[]; hasMore: boolean }> {
    let a = this.albums.get(id);
    if (!a) throw new ApiError('not_found', `no album ${id}`);
    if (a.kind === 'smart' && a.modelId !== (await this.search.modelId())) {
      await this.refresh(id); // the active model changed since: re-resolve in its space
      a = this.albums.get(id)!;
    }
    const members = this.albums.members(id, offset, limit + 1);
    const page = members.slice(0, limit);
    const rows = this.photos.byIds(page.map((m) => m.id));
    const hits: SearchHit[] = [];
    for (const m of page) {
      const r = rows.get(m.id);
      if (r) hits.push({ photo: toPhoto(r), score: m.score });
    }
    return { album: this.toAlbum(a), hits, hasMore: members.length > limit };
  }

  /** Full re-rank of one album (creation, rule/filter edits, deletions, model switch). */
  async refresh(id: number): Promise<void> {
    const a = this.albums.get(id);
    if (!a) return;
    if (a.kind === 'manual' || !a.query || !a.rule) {
      this.emit(id, this.albums.count(id)); // nothing to rank: only its count may have changed
      return;
    }
    const modelId = await this.search.modelId();
    let vec = a.queryVec;
    if (!vec || a.modelId !== modelId) {
      try {
        vec = (await this.search.queryVector(a.query)).vec;
      } catch {
        // The query photo is gone and the model changed: nothing to rank with.
        this.albums.setMembers(id, []);
        this.emit(id, 0);
        return;
      }
      this.albums.setQueryVec(id, modelId, vec);
    }
    const { key } = await this.laneKey();
    const { query, rule } = a;
    const exclude = queryPhotoId(query);
    const scored = (await this.search.knn(key, spaceOf(query), vec, ruleLimit(rule) + 1, a.filters)).filter((s) => s.id !== exclude);
    const members = applyRule(rule, scored);
    this.albums.setMembers(id, members);
    this.emit(id, members.length);
  }

  createManual(name: string, photoIds: readonly number[]): Album {
    const id = this.albums.insertManual(name);
    if (photoIds.length > 0) this.albums.addMembers(id, photoIds);
    return this.toAlbum(this.albums.get(id)!);
  }

  /** Adds or removes photos of a manual album; returns how many changed and the album after. */
  editManual(id: number, photoIds: readonly number[], op: 'add' | 'remove'): { changed: number; album: Album } {
    const a = this.albums.get(id);
    if (!a) throw new ApiError('not_found', `no album ${id}`);
    if (a.kind !== 'manual') throw new ApiError('bad_input', `“${a.name}” is a smart album: its photos follow its search (freeze it into a manual album to choose them by hand)`);
    const changed = op === 'add' ? this.albums.addMembers(id, photoIds) : this.albums.removeMembers(id, photoIds);
    const album = this.toAlbum(this.albums.get(id)!);
    if (changed > 0) this.emit(id, album.count);
    return { changed, album };
  }

  /** A manual album with a smart album's photos as they are now, best match first. */
  freeze(id: number, name?: string): Album {
    const a = this.albums.get(id);
    if (!a) throw new ApiError('not_found', `no album ${id}`);
    if (a.kind === 'manual') throw new ApiError('bad_input', `“${a.name}” is already a manual album`);
    const members = this.albums.allMembers(id);
    const newId = this.albums.insertManual(name ?? `${a.name} (fixed)`);
    // Added in reverse rank order, one millisecond apart, so "newest added first" keeps the ranking.
    const base = Date.now() - members.length;
    this.albums.setMembers(newId, members.map((m, i) => ({ id: m.id, score: base + (members.length - i) })));
    return this.toAlbum(this.albums.get(newId)!);
  }

  private async laneKey(): Promise<{ key: number }> {
    // The search engine owns the lane; rank() resolves it, here we only need the key.
    return { key: await this.search.modelKey() };
  }

  /**
   * Score just-indexed photos against every album (synchronous: runs inside the indexer's batch
   * transaction). Returns the albums whose membership changed, for albums.changed events.
   */
  scoreNew(modelId: string, items: { id: number; clip: Float32Array; target: Float32Array }[]): { id: number; count: number }[] {
    const changed: { id: number; count: number }[] = [];
    if (items.length === 0) return changed;
    const rows = this.photos.byIds(items.map((i) => i.id));
    for (const a of this.albums.all()) {
      if (a.kind === 'manual' || !a.query || !a.rule || !a.queryVec || a.modelId !== modelId) continue;
      const { rule } = a;
      const space = spaceOf(a.query);
      const exclude = queryPhotoId(a.query);
      const added: Scored[] = [];
      for (const it of items) {
        const r = rows.get(it.id);
        if (!r || it.id === exclude || !rowMatches(r, a.filters)) continue;
        added.push({ id: it.id, score: cosine(a.queryVec, space === 'clip' ? it.clip : it.target) });
      }
      if (added.length === 0) continue;
      const before = this.albums.allMembers(a.id);
      const after = mergeMembers(rule, before, added);
      if (sameMembers(before, after)) continue;
      this.albums.setMembers(a.id, after);
      changed.push({ id: a.id, count: after.length });
    }
    return changed;
  }
}

function sameMembers(a: Scored[], b: Scored[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map((x) => x.id));
  return b.every((x) => s.has(x.id));
}
