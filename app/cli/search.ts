// `magiclens search | similar | sketch`: one page of ranked photos.
import fs from 'node:fs';
import path from 'node:path';
import type { PhotoRef, SearchResult } from '../api/contract.js';
import { MAX_QUERY_PHOTO_BYTES } from '../api/schemas.js';
import { page, parseOptions, photoRef, UsageError, type CliContext, type Command } from './command.js';

const PHOTO_NOTE = '        (P: a file path, or a library photo id; --limit N, --offset N, --include-query)';

function printHits(ctx: CliContext, r: SearchResult): void {
  const out = ctx.io.out;
  if (r.hits.length === 0) {
    out.write('no results\n');
    return;
  }
  for (const [i, h] of r.hits.entries()) out.write(`${String(r.offset + i + 1).padStart(4)}  ${h.score.toFixed(4)}  #${h.photo.id}  ${h.photo.path}\n`);
  out.write(`(${r.hits.length} shown${r.hasMore ? ', more available' : ''}; ${r.elapsedMs.toFixed(1)} ms, model ${r.modelId})\n`);
}

/**
 * A library photo id, or a file the CLI reads itself and sends as bytes: the service never opens
 * a path it is given, so the file is read here, with the user's own access rights.
 */
function queryPhoto(p: string): PhotoRef {
  const ref = photoRef(p);
  if ('id' in ref) return ref;
  let st: fs.Stats;
  try {
    st = fs.statSync(ref.path);
  } catch (err) {
    throw new UsageError(`cannot read ${p}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (!st.isFile()) throw new UsageError(`${p} is not a file`);
  if (st.size > MAX_QUERY_PHOTO_BYTES) throw new UsageError(`${p} is too large for a query photo (${st.size} bytes, over ${MAX_QUERY_PHOTO_BYTES / 1024 / 1024} MiB)`);
  return { bytes: fs.readFileSync(ref.path).toString('base64'), name: path.basename(ref.path) };
}

type SearchKind = 'search' | 'similar' | 'sketch';

async function runSearch(kind: SearchKind, ctx: CliContext, args: string[]): Promise<number> {
  const { values: v } = parseOptions(args);
  let r: SearchResult;
  if (kind === 'search' && v.text !== undefined) {
    r = await (await ctx.api(v)).call('search.text', { text: v.text, ...page(v) });
  } else {
    if (!v.photo) throw new UsageError(`${kind} needs --photo P${kind === 'search' ? ' (with --instruction S) or --text S' : ''}`);
    const base = { photo: queryPhoto(v.photo), includeQueryPhoto: v['include-query'] ?? false, ...page(v) };
    const api = await ctx.api(v);
    if (kind === 'similar') r = await api.call('search.similar', base);
    else if (kind === 'sketch') r = await api.call('search.sketch', { ...base, ...(v.instruction !== undefined ? { instruction: v.instruction } : {}) });
    else r = await api.call('search.compose', { ...base, instruction: v.instruction ?? '' });
  }
  ctx.print(r, () => printHits(ctx, r));
  return 0;
}

export const searchCommand: Command = {
  name: 'search',
  usage: [
    '  search --photo P --instruction S     photos like P, changed as S says ("in red", "the same but at night")',
    '  search --text S                      photos matching a description',
  ].join('\n'),
  details: PHOTO_NOTE,
  run: (ctx, args) => runSearch('search', ctx, args),
};

export const similarCommand: Command = {
  name: 'similar',
  usage: '  similar --photo P                    photos similar to P',
  details: PHOTO_NOTE,
  run: (ctx, args) => runSearch('similar', ctx, args),
};

export const sketchCommand: Command = {
  name: 'sketch',
  // The overview lists the three together, so the note on P follows the last of them.
  usage: ['  sketch --photo P [--instruction S]   natural photos of what a sketch shows', PHOTO_NOTE].join('\n'),
  run: (ctx, args) => runSearch('sketch', ctx, args),
};
