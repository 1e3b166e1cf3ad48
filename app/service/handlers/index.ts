// index.*: indexing progress, pause and resume.
import type { Indexer } from '../../index/indexer.js';
import type { HandlerSlice } from './slice.js';

export function indexHandlers(d: { indexer: Pick<Indexer, 'progress' | 'pause' | 'resume'> }): HandlerSlice<'index'> {
  const { indexer } = d;
  return {
    'index.progress': async () => indexer.progress(),
    'index.pause': async () => indexer.pause(),
    'index.resume': async () => indexer.resume(),
  };
}
