// search.*: composed, text, similar-photo and sketch queries, and the recent searches.
import type { Settings } from '../../api/contract.js';
import type { SearchEngine } from '../../search/search.js';
import type { RecentSearches } from './recent-searches.js';
import type { HandlerSlice } from './slice.js';

export interface SearchDeps {
  search: SearchEngine;
  settings: () => Settings;
  recent: RecentSearches;
}

export function searchHandlers(d: SearchDeps): HandlerSlice<'search'> {
  const { search } = d;
  return {
    'search.compose': async (p) => search.compose(p),
    'search.text': async (p) => search.text(p),
    'search.similar': async (p) => search.similar(p),
    'search.sketch': async (p) => search.compose({ ...p, instruction: p.instruction ?? d.settings().sketchInstruction }, 'sketch'),
    'search.recent': async () => d.recent.list(),
    'search.remember': async (key) => d.recent.remember(key),
    'search.forget': async ({ key }) => d.recent.forget(key),
  };
}
