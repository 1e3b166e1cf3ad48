// Issue 14 defects that a component over the in-memory client covers exactly: the progress card
// before any photo is counted, the results' strong-match count and cut-off, readable problem reasons.
import { cleanup, render, screen } from '@testing-library/svelte';
import { flushSync, tick } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IndexProgress, Photo, Status } from '../../app/api/contract.js';
import ProgressCard from '../src/components/ProgressCard.svelte';
import SearchView from '../src/components/SearchView.svelte';
import { AppState, folderPathProblem } from '../src/lib/app.svelte.js';
import { describeProblem, exclusionFor } from '../src/lib/problems.js';
import { memoryClient } from './memory-client.js';

// jsdom has no layout: the grid's size bindings need a ResizeObserver that never fires.
vi.stubGlobal('ResizeObserver', class { observe() {} unobserve() {} disconnect() {} });
afterEach(cleanup);

const photo = (id: number): Photo => ({ id, hash: `h${id}`, path: `/pics/p${id}.jpg`, name: `p${id}.jpg`, folderId: 1, size: 10, mtimeMs: 0, width: 4, height: 3, takenAt: null, camera: null, format: 'jpeg', status: 'indexed', error: null });
const idle: IndexProgress = { state: 'idle', done: 0, total: 0, failed: 0, ratePerSec: 0, etaSec: null, current: null, modelId: null };
const status = { version: '0', dataDir: '/d', model: null, provider: 'cpu', photos: { total: 0, indexed: 0, pending: 0, errors: 0 }, folders: 1, albums: 0, index: idle } as Status;

function appState(hits: { score: number }[], hasMore: boolean) {
  const client = memoryClient({
    'status.get': async () => status,
    'folders.list': async () => [{ id: 1, path: '/pics', exclude: [], photoCount: 0, errorCount: 0, available: true, addedAt: 0 }],
    'albums.list': async () => [],
    'settings.get': async () => ({ threads: 2, providers: ['cpu'], theme: 'system', sketchInstruction: 'x' }),
    'models.list': async () => [],
    'index.progress': async () => idle,
    'photos.list': async () => ({ items: [], total: 0 }),
    'search.text': async () => ({ kind: 'text', hits: hits.map((h, i) => ({ photo: photo(i + 1), score: h.score })), offset: 0, hasMore, queryPhoto: null, instruction: 'red car', modelId: 'm', elapsedMs: 1 }),
  });
  return new AppState(client);
}

describe('progress card (defect 9)', () => {
  it('says "Looking for photos…" before anything is counted, never "0 of 0 0%"', async () => {
    const app = appState([], false);
    await app.start();
    app.progress = { ...idle, state: 'scanning' };
    render(ProgressCard, { app });
    flushSync();
    const card = screen.getByTestId('progress');
    expect(card.textContent).toContain('Looking for photos…');
    expect(card.textContent).not.toMatch(/0 of 0|0%/);
    app.progress = { ...idle, state: 'indexing', done: 40, total: 50, ratePerSec: 20, etaSec: 0.5 };
    flushSync();
    expect(card.textContent).toContain('40 of 50');
    expect(card.textContent).toContain('almost done');
    expect(card.textContent).not.toContain('a moment');
    app.progress = { ...idle, state: 'indexing', done: 10, total: 500, ratePerSec: 2, etaSec: 245 };
    flushSync();
    expect(card.textContent).toContain('about 4 min 5 s left');
  });
});

describe('search results relevance (defect 11)', () => {
  // 60 hits, best 0.90 falling by 0.01: strong (within 0.06 of the best) are 0.90…0.84 = 7.
  const hits = Array.from({ length: 60 }, (_, i) => ({ score: 0.9 - i * 0.01 }));

  it('counts strong matches, hides raw scores unless asked, and stops "Show more" past the cut-off', async () => {
    const app = appState(hits, true);
    await app.start();
    app.instruction = 'red car';
    await app.search();
    render(SearchView, { app });
    await tick();
    expect(document.body.textContent).toContain('7 strong matches of 60 results');
    // The last hit (0.31) is 0.59 below the best: past the default cut-off (0.15): no "Show more".
    expect(screen.queryByText('Show more results')).toBeNull();
    expect(document.body.textContent).toContain('lower the cut-off');
    app.cutoffMargin = 0.5; // the slider's far end: still past (0.59)
    flushSync();
    expect(screen.queryByText('Show more results')).toBeNull();
    expect(document.querySelectorAll('.score').length).toBe(0);
  });

  it('offers "Show more" while the last result is within the cut-off', async () => {
    const close = Array.from({ length: 60 }, (_, i) => ({ score: 0.9 - i * 0.001 }));
    const app = appState(close, true);
    await app.start();
    app.instruction = 'red car';
    await app.search();
    render(SearchView, { app });
    await tick();
    expect(screen.getByText('Show more results')).toBeTruthy();
  });
});

describe('problem reasons (defect 8) and typed folder paths (defect 3)', () => {
  it('turns decoder messages into words and keeps unknown ones generic', () => {
    expect(describeProblem('not a readable image: VipsJpeg: premature end of JPEG image')).toMatch(/incomplete/);
    expect(describeProblem('empty file (0 bytes)')).toMatch(/empty/);
    expect(describeProblem('image too large: 30000×30000 = 900 MP, over the 180 MP limit (decompression-bomb guard)')).toMatch(/too large/);
    expect(describeProblem('not a readable image: Input buffer contains unsupported image format')).toMatch(/Not an image MagicLens can read/);
    expect(describeProblem('something odd')).toBe('The file could not be read');
  });

  it('builds an exclusion glob for exactly one file, glob characters escaped', () => {
    expect(exclusionFor('/pics', '/pics/trip/a [1].jpg')).toBe('trip/a \\[1\\].jpg');
    expect(exclusionFor('/pics', '/picsother/a.jpg')).toBeNull();
  });

  it('accepts absolute and ~ paths, refuses relative ones with a reason', () => {
    expect(folderPathProblem('/home/a/Pictures')).toBeNull();
    expect(folderPathProblem('~/Pictures')).toBeNull();
    expect(folderPathProblem('C:\\Users\\a')).toBeNull();
    expect(folderPathProblem('Pictures')).toMatch(/full path/);
    expect(folderPathProblem('./Pictures')).toMatch(/relative/);
  });
});
