import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { Photo } from '../../app/api/contract.js';
import { PagedSource } from '../src/lib/sources.svelte.js';

const photo = (id: number): Photo => ({ id, hash: `h${id}`, path: `/p/${id}.jpg`, name: `${id}.jpg`, folderId: 1, size: 1, mtimeMs: 0, width: 1, height: 1, takenAt: null, camera: null, format: 'jpeg', status: 'indexed', error: null });

describe('PagedSource', () => {
  it('loads only the pages asked for, and keeps a bounded number in memory while scrolling 100k', async () => {
    const loads: number[] = [];
    const src = new PagedSource(async (offset, limit) => {
      loads.push(offset);
      return { items: Array.from({ length: Math.min(limit, 100_000 - offset) }, (_, k) => photo(offset + k + 1)), total: 100_000 };
    }, 100);
    src.ensure(0, 150);
    src.ensure(0, 150); // in flight: not fetched twice
    await new Promise((r) => setTimeout(r, 0));
    flushSync();
    expect(loads).toEqual([0, 100]);
    expect(src.count).toBe(100_000);
    expect(src.item(149)?.photo.id).toBe(150);
    expect(src.item(199)?.photo.id).toBe(200);
    expect(src.item(200)).toBeUndefined();
    for (let p = 0; p < 100; p++) src.ensure(p * 1000, p * 1000 + 1);
    await new Promise((r) => setTimeout(r, 0));
    expect(src.item(99_000)?.photo.id).toBe(99_001);
    expect(src.item(0)).toBeUndefined(); // evicted far pages
  });

  it('refresh re-fetches the visible pages without blanking them meanwhile', async () => {
    let gen = 0;
    const src = new PagedSource(async (offset) => ({ items: [{ ...photo(offset + 1), name: `gen${gen}` }], total: 1 }), 10);
    src.ensure(0, 1);
    await new Promise((r) => setTimeout(r, 0));
    expect(src.item(0)?.photo.name).toBe('gen0');
    gen = 1;
    src.refresh();
    expect(src.item(0)?.photo.name).toBe('gen0'); // stale copy shown until the new page lands
    await new Promise((r) => setTimeout(r, 0));
    expect(src.item(0)?.photo.name).toBe('gen1');
  });
});
