// `magiclens album create | list | show | delete`: saved searches with a cut-off rule.
import fs from 'node:fs';
import type { AlbumQuery } from '../api/contract.js';
import type { EngineService } from '../service.js';
import { call, intOpt, page, parseOptions, photoRef, UsageError, type CliContext, type Command, type Values } from './command.js';

async function list(ctx: CliContext, svc: EngineService): Promise<number> {
  const albums = await call(svc, 'albums.list', {});
  ctx.print(albums, () => {
    if (albums.length === 0) ctx.io.out.write('no albums\n');
    for (const a of albums) ctx.io.out.write(`#${a.id}  ${a.name}  (${a.count} photos; ${!a.rule ? 'manual' : a.rule.kind === 'topN' ? `top ${a.rule.n}` : `within ${a.rule.margin} of best, max ${a.rule.max}`})\n`);
  });
  return 0;
}

async function show(ctx: CliContext, svc: EngineService, id: number, v: Values): Promise<number> {
  const r = await call(svc, 'albums.get', { id, ...page(v) });
  ctx.print(r, () => {
    ctx.io.out.write(`#${r.album.id}  ${r.album.name}  (${r.album.count} photos)\n`);
    for (const h of r.hits) ctx.io.out.write(`  ${h.score.toFixed(4)}  #${h.photo.id}  ${h.photo.path}\n`);
    if (r.hasMore) ctx.io.out.write('  …\n');
  });
  return 0;
}

async function remove(ctx: CliContext, svc: EngineService, id: number): Promise<number> {
  const r = await call(svc, 'albums.delete', { id });
  ctx.print(r, () => ctx.io.out.write(r.deleted ? `deleted album #${id}\n` : `no album #${id}\n`));
  return r.deleted ? 0 : 1;
}

/** Albums hold library photos, so a path must be one the library knows. */
function libraryPhotoId(svc: EngineService, p: string): number {
  const ref = photoRef(p);
  if ('id' in ref) return ref.id;
  const hit = svc.db.prepare('SELECT id FROM photos WHERE path = ?').get(fs.realpathSync(ref.path)) as { id: number } | undefined;
  if (!hit) throw new UsageError(`${p} is not a library photo (albums need one: index its folder first)`);
  return hit.id;
}

function albumQuery(svc: EngineService, v: Values): AlbumQuery {
  if (v.text !== undefined) return { kind: 'text', text: v.text };
  if (v.similar !== undefined) return { kind: 'similar', photoId: libraryPhotoId(svc, v.similar) };
  if (v.photo !== undefined) return { kind: 'compose', photoId: libraryPhotoId(svc, v.photo), instruction: v.instruction ?? '' };
  throw new UsageError('album create needs --photo P --instruction S, --text S or --similar P');
}

async function create(ctx: CliContext, svc: EngineService, name: string, v: Values): Promise<number> {
  if (!name) throw new UsageError('album create needs a name');
  const query = albumQuery(svc, v);
  const rule = v.margin !== undefined ? { kind: 'relative' as const, margin: Number(v.margin), max: intOpt(v.max, 200) } : { kind: 'topN' as const, n: intOpt(v.top, 50) };
  const a = await call(svc, 'albums.create', { name, query, rule });
  ctx.print(a, () => ctx.io.out.write(`created album #${a.id} "${a.name}" with ${a.count} photos\n`));
  return 0;
}

export const albumCommand: Command = {
  name: 'album',
  usage: [
    '  album create NAME (--photo P --instruction S | --text S | --similar P) [--top N | --margin M --max N]',
    '  album list | album show ID [--limit N] | album delete ID',
  ].join('\n'),
  async run(ctx, args) {
    const { values: v, positionals } = parseOptions(args);
    const svc = await ctx.service(v);
    const sub = positionals[0];
    if (sub === 'list') return list(ctx, svc);
    if (sub === 'show' || sub === 'delete') {
      const id = Number(positionals[1]);
      if (!Number.isInteger(id) || id <= 0) throw new UsageError(`album ${sub} needs an album id`);
      return sub === 'delete' ? remove(ctx, svc, id) : show(ctx, svc, id, v);
    }
    if (sub === 'create') return create(ctx, svc, positionals.slice(1).join(' '), v);
    throw new UsageError('album create|list|show|delete');
  },
};
