// search.*: composed, text, similar-photo and sketch queries.
import type { Settings } from '../../api/contract.js';
import type { SearchEngine } from '../../search/search.js';
import type { HandlerSlice } from './slice.js';

export interface SearchDeps {
  search: SearchEngine;
  settings: () => Settings;
}

export function searchHandlers(d: SearchDeps): HandlerSlice<'search'> {
  const { search } = d;
  return {
    'search.compose': async (p) => search.compose(p),
    'search.text': async (p) => search.text(p),
    'search.similar': async (p) => search.similar(p),
    'search.sketch': async (p) => search.compose({ ...p, instruction: p.instruction ?? d.settings().sketchInstruction }, 'sketch'),
  };
}
