// Queries (see ARCHITECTURE "Data flow"):
//   compose (photo p, instruction s): fuse(e_img(p), e_text(s)) → KNN over target vectors
//   text s:                           e_text(s) → KNN over CLIP image vectors
//   similar p:                        target(p) → KNN over target vectors
//   sketch p:                         compose with a fixed instruction (settings.sketchInstruction)
// A library photo reuses its stored vectors (no image tower pass); any other file is embedded
// on the interactive lane. Scores are cosine similarities, computed exactly over an in-memory mirror
// of the vec0 tables (vector-index.ts); vec0 answers while a mirror loads.
import fs from 'node:fs';
import { ApiError, type AlbumQuery, type PhotoRef, type Photo, type SearchFilters, type SearchHit, type SearchResult } from '../api/contract.js';
import type { Db } from '../store/db.js';
import { toPhoto, type PhotoRepo, type PhotoRow } from '../store/photos.js';
import type { VecKind, VectorStore } from '../store/vectors.js';
import { MAX_QUERY_PHOTO_BYTES } from '../api/schemas.js';
import { hashBuffer } from '../library/hash.js';
import { DecodeError, openImage } from '../media/decode.js';
import { preprocessImage, type PreprocessSpec } from '../media/preprocess.js';
import type { MagicLensRuntime } from '../model/runtime.js';
import { candidateIds, hasFilters } from './filters.js';
import { VectorIndex } from './vector-index.js';
import type { Scored } from './rules.js';

export interface ModelLane {
  rt: MagicLensRuntime;
  spec: PreprocessSpec;
  key: number;
}

export interface ResolvedPhoto {
  row: PhotoRow | null;
  clip: Float32Array;
  target: Float32Array;
}

export interface RankOptions {
  offset: number;
  limit: number;
  filters?: SearchFilters;
  excludeId?: number | null;
}

export class SearchEngine {
  /** Exact KNN over in-memory mirrors of the vec0 tables (vec0 answers while a mirror loads). */
  readonly index: VectorIndex;

  constructor(
    private readonly db: Db,
    private readonly photos: PhotoRepo,
    private readonly vectors: VectorStore,
    /** The interactive lane: its own ORT sessions, never behind a bulk indexing batch. */
    private readonly lane: () => Promise<ModelLane>,
  ) {
    this.index = new VectorIndex(vectors);
  }

  async resolvePhoto(ref: PhotoRef): Promise<ResolvedPhoto> {
    const { key, rt, spec } = await this.lane();
    let row: PhotoRow | null = null;
    let buf: Buffer;
    if ('id' in ref) {
      row = this.photos.get(ref.id) ?? null;
      if (!row) throw new ApiError('not_found', `no photo ${ref.id}`);
      const v = this.storedVectors(key, row);
      if (v) return v;
      buf = await this.readLibraryPhoto(row);
    } else {
      // Bytes sent by the caller (never a path: the service opens no file it is pointed at).
      buf = Buffer.from(ref.bytes, 'base64');
      if (buf.length > MAX_QUERY_PHOTO_BYTES) throw new ApiError('bad_input', `query photo too large: ${buf.length} bytes, over ${MAX_QUERY_PHOTO_BYTES / 1024 / 1024} MiB`);
      // The same bytes as a library photo: reuse its row and vectors (no image-tower pass).
      for (const twin of this.photos.withHash(hashBuffer(buf))) {
        const v = this.storedVectors(key, twin);
        if (v) return v;
      }
    }
    let pixels: Float32Array;
    try {
      const img = await openImage(buf);
      pixels = await preprocessImage(img.source, spec);
    } catch (err) {
      const what = row ? `photo ${row.id}` : (('name' in ref && ref.name) || 'the image');
      throw new ApiError('bad_input', `cannot use ${what} as a query photo: ${err instanceof DecodeError ? err.message : (err as Error).message}`);
    }
    const clip = await rt.embedImages(pixels, 1);
    const target = await rt.targetEmbeddings(clip, 1);
    return { row, clip, target };
  }

  private storedVectors(key: number, row: PhotoRow): ResolvedPhoto | null {
    const clip = this.vectors.get(key, 'clip', row.id);
    const target = this.vectors.get(key, 'target', row.id);
    return clip && target ? { row, clip, target } : null;
  }

  /** A library photo not indexed yet (or under another model): embedded from its file now. */
  private async readLibraryPhoto(row: PhotoRow): Promise<Buffer> {
    try {
      return await fs.promises.readFile(row.path, { flag: 'r' });
    } catch (err) {
      throw new ApiError('bad_input', `cannot read photo ${row.id}: ${(err as Error).message}`);
    }
  }

  async textEmbedding(rt: MagicLensRuntime, s: string): Promise<Float32Array> {
    return s.trim() === '' ? rt.emptyTextEmbedding() : rt.embedText(s);
  }

  async composeVector(p: ResolvedPhoto, instruction: string): Promise<Float32Array> {
    const { rt } = await this.lane();
    return rt.fuse(p.clip, await this.textEmbedding(rt, instruction), 1);
  }

  /** The vector and space an album query ranks with. */
  async queryVector(q: AlbumQuery): Promise<{ vec: Float32Array; space: VecKind }> {
    const { rt } = await this.lane();
    if (q.kind === 'text') return { vec: await rt.embedText(q.text), space: 'clip' };
    const p = await this.resolvePhoto({ id: q.photoId });
    if (q.kind === 'similar') return { vec: p.target, space: 'target' };
    return { vec: await this.composeVector(p, q.instruction), space: 'target' };
  }

  /** KNN with filters and pagination; `excludeId` (the query photo) is dropped from the list. */
  async rank(space: VecKind, q: Float32Array, o: RankOptions): Promise<{ hits: SearchHit[]; hasMore: boolean }> {
    const { key } = await this.lane();
    const scored = await this.knn(key, space, q, o.offset + o.limit + 1 + (o.excludeId ? 1 : 0), o.filters);
    const kept = o.excludeId ? scored.filter((s) => s.id !== o.excludeId) : scored;
    const page = kept.slice(o.offset, o.offset + o.limit);
    const rows = this.photos.byIds(page.map((s) => s.id));
    const hits: SearchHit[] = [];
    for (const s of page) {
      const r = rows.get(s.id);
      if (r) hits.push({ photo: toPhoto(r), score: s.score });
    }
    return { hits, hasMore: kept.length > o.offset + o.limit };
  }

  knn(key: number, space: VecKind, q: Float32Array, k: number, filters?: SearchFilters): Promise<Scored[]> {
    return this.index.knn(key, space, q, k, hasFilters(filters) ? candidateIds(this.db, filters!) : undefined);
  }

  async modelKey(): Promise<number> {
    return (await this.lane()).key;
  }

  async modelId(): Promise<string> {
    return (await this.lane()).rt.modelId;
  }

  // ---- the four search methods ----

  async compose(p: { photo: PhotoRef; instruction: string; includeQueryPhoto: boolean } & RankOptions, kind: 'compose' | 'sketch' = 'compose'): Promise<SearchResult> {
    const t0 = performance.now();
    const qp = await this.resolvePhoto(p.photo);
    const q = await this.composeVector(qp, p.instruction);
    const r = await this.rank('target', q, { ...p, excludeId: p.includeQueryPhoto ? null : (qp.row?.id ?? null) });
    return this.result(kind, r, p.offset, qp.row, p.instruction, t0);
  }

  async text(p: { text: string } & RankOptions): Promise<SearchResult> {
    const t0 = performance.now();
    const { rt } = await this.lane();
    const q = await rt.embedText(p.text);
    const r = await this.rank('clip', q, p);
    return this.result('text', r, p.offset, null, p.text, t0);
  }

  async similar(p: { photo: PhotoRef; includeQueryPhoto: boolean } & RankOptions): Promise<SearchResult> {
    const t0 = performance.now();
    const qp = await this.resolvePhoto(p.photo);
    const r = await this.rank('target', qp.target, { ...p, excludeId: p.includeQueryPhoto ? null : (qp.row?.id ?? null) });
    return this.result('similar', r, p.offset, qp.row, null, t0);
  }

  private async result(kind: SearchResult['kind'], r: { hits: SearchHit[]; hasMore: boolean }, offset: number, row: PhotoRow | null, instruction: string | null, t0: number): Promise<SearchResult> {
    const queryPhoto: Photo | null = row ? toPhoto(row) : null;
    return { kind, hits: r.hits, offset, hasMore: r.hasMore, queryPhoto, instruction, modelId: await this.modelId(), elapsedMs: performance.now() - t0 };
  }
}
