// `magiclens`: the command line over the same service the app uses (same handlers, same
// validation: every call goes through the contract's dispatcher).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dispatch, type Method, type Params, type Result, type SearchResult } from './api/contract.js';
import { defaultDataDir } from './paths.js';
import { createService, type EngineService } from './service.js';

const USAGE = `magiclens — photo library search with instructions (MagicLens)

usage: magiclens [--json] <command> [options]

  index DIR [--exclude GLOB]...        add DIR to the library (remembered), scan and index it
  search --photo P --instruction S     photos like P, changed as S says ("in red", "the same but at night")
  search --text S                      photos matching a description
  similar --photo P                    photos similar to P
  sketch --photo P [--instruction S]   natural photos of what a sketch shows
        (P: a file path, or a library photo id; --limit N, --offset N, --include-query)
  album create NAME (--photo P --instruction S | --text S | --similar P) [--top N | --margin M --max N]
  album list | album show ID [--limit N] | album delete ID
  folders                              list library folders
  errors                               files that could not be indexed, with the reason
  status                               library, model and indexing state
  model ...                            install | list | verify | activate | remove model packs
  serve [--port N]                     local HTTP bridge for the UI (127.0.0.1)

Data lives in $MAGICLENS_HOME (default: the platform's user-data folder).`;

interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

async function call<M extends Method>(svc: EngineService, method: M, params: Params<M>): Promise<Result<M>> {
  const r = await dispatch(svc.handlers, { id: 1, method, params });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.result as Result<M>;
}

function photoRef(p: string): { id: number } | { path: string } {
  if (/^\d+$/.test(p) && !fs.existsSync(p)) return { id: Number(p) };
  return { path: path.resolve(p) };
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

function printHits(io: Io, r: SearchResult): void {
  if (r.hits.length === 0) {
    io.out.write('no results\n');
    return;
  }
  for (const [i, h] of r.hits.entries()) io.out.write(`${String(r.offset + i + 1).padStart(4)}  ${h.score.toFixed(4)}  #${h.photo.id}  ${h.photo.path}\n`);
  io.out.write(`(${r.hits.length} shown${r.hasMore ? ', more available' : ''}; ${r.elapsedMs.toFixed(1)} ms, model ${r.modelId})\n`);
}

export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const cmd = args[0];
  const rest = args.slice(1);
  const dataDir = defaultDataDir(io.env);
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd === 'model') {
    const { runModelCommand } = await import('./model/cli-model.js');
    return runModelCommand(rest, { dataDir, out: io.out, err: io.err, json });
  }

  const opts = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      photo: { type: 'string' },
      instruction: { type: 'string' },
      text: { type: 'string' },
      similar: { type: 'string' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      'include-query': { type: 'boolean' },
      exclude: { type: 'string', multiple: true },
      top: { type: 'string' },
      margin: { type: 'string' },
      max: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      batch: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const v = opts.values;
  const int = (s: string | undefined, d: number) => (s === undefined ? d : Number.parseInt(s, 10));
  const limit = int(v.limit, 20);
  const offset = int(v.offset, 0);
  const out = (value: unknown, human: () => void) => {
    if (json) io.out.write(JSON.stringify(value, null, 2) + '\n');
    else human();
  };

  const svc = await createService({
    dataDir,
    watch: false,
    ...(v.batch ? { batchSize: int(v.batch, 8) } : {}),
    ...(v.threads ? { threads: int(v.threads, 2) } : {}),
  });
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    io.err.write('\nstopping (progress is saved; run the same command to continue)…\n');
    void svc.close().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    switch (cmd) {
      case 'index': {
        const dir = opts.positionals[0];
        if (!dir) throw new UsageError('index needs a folder: magiclens index DIR');
        const t0 = performance.now();
        const known = (await call(svc, 'folders.list', {})).find((f) => f.path === fs.realpathSync(path.resolve(dir)));
        const folder = await call(svc, 'folders.add', { path: path.resolve(dir), exclude: v.exclude ?? [] });
        // A newly added folder is scanned by the service already; a known one is rescanned here.
        if (known) await svc.scan([folder.id]);
        else await svc.scansIdle();
        const tScan = performance.now();
        const before = svc.db.prepare(`SELECT count(*) AS n FROM photos WHERE status != 'pending' AND folder_id = ?`).get(folder.id) as { n: number };
        let lastLine = 0;
        let lastText = '';
        const unsub = svc.onEvent((e) => {
          if (e.event !== 'index.progress') return;
          const p = e.data as Result<'index.progress'>;
          const now = Date.now();
          if (now - lastLine < 1000 && p.state === 'indexing') return;
          lastLine = now;
          if (json) io.err.write(JSON.stringify({ progress: p }) + '\n');
          else if (p.total > 0) {
            const finished = p.done + p.failed >= p.total;
            const eta = finished ? 'done' : `ETA ${p.etaSec === null ? '?' : fmtDuration(p.etaSec)}`;
            const line = `indexed ${p.done + p.failed}/${p.total}  ${p.ratePerSec.toFixed(1)} photos/s  ${eta}  ${p.failed ? `${p.failed} failed  ` : ''}${p.current && !finished ? path.basename(p.current) : ''}`.trimEnd();
            // The last batch and the idle transition both report the same totals: print them once.
            if (line !== lastText) io.err.write(line + '\n');
            lastText = line;
          }
        });
        await svc.whenIdle();
        unsub();
        const t1 = performance.now();
        const counts = svc.db.prepare(`SELECT count(*) AS n, sum(status = 'indexed') AS ok, sum(status = 'error') AS bad, sum(status = 'pending') AS pend FROM photos WHERE folder_id = ?`).get(folder.id) as { n: number; ok: number | null; bad: number | null; pend: number | null };
        const processed = counts.n - (counts.pend ?? 0) - before.n;
        const secs = (t1 - tScan) / 1000;
        const summary = {
          folder: folder.path,
          photos: counts.n,
          indexed: counts.ok ?? 0,
          errors: counts.bad ?? 0,
          pending: counts.pend ?? 0,
          processedThisRun: processed,
          scanSeconds: (tScan - t0) / 1000,
          indexSeconds: secs,
          photosPerSecond: processed > 0 && secs > 0 ? processed / secs : 0,
        };
        out(summary, () => {
          io.out.write(`${summary.folder}: ${summary.photos} photos, ${summary.indexed} indexed, ${summary.errors} errors, ${summary.pending} pending\n`);
          io.out.write(`scan ${summary.scanSeconds.toFixed(1)} s; indexed ${processed} photos in ${secs.toFixed(1)} s = ${summary.photosPerSecond.toFixed(1)} photos/s\n`);
          if (summary.errors > 0) io.out.write(`see the reasons with: magiclens errors\n`);
          if (summary.pending > 0) io.out.write(`(pending photos need a model pack: magiclens model list)\n`);
        });
        return 0;
      }
      case 'search':
      case 'similar':
      case 'sketch': {
        let r: SearchResult;
        const page = { limit, offset };
        if (cmd === 'search' && v.text !== undefined) {
          r = await call(svc, 'search.text', { text: v.text, ...page });
        } else {
          if (!v.photo) throw new UsageError(`${cmd} needs --photo P${cmd === 'search' ? ' (with --instruction S) or --text S' : ''}`);
          const base = { photo: photoRef(v.photo), includeQueryPhoto: v['include-query'] ?? false, ...page };
          if (cmd === 'similar') r = await call(svc, 'search.similar', base);
          else if (cmd === 'sketch') r = await call(svc, 'search.sketch', { ...base, ...(v.instruction !== undefined ? { instruction: v.instruction } : {}) });
          else r = await call(svc, 'search.compose', { ...base, instruction: v.instruction ?? '' });
        }
        out(r, () => printHits(io, r));
        return 0;
      }
      case 'album': {
        const sub = opts.positionals[0];
        if (sub === 'list') {
          const list = await call(svc, 'albums.list', {});
          out(list, () => {
            if (list.length === 0) io.out.write('no albums\n');
            for (const a of list) io.out.write(`#${a.id}  ${a.name}  (${a.count} photos; ${a.rule.kind === 'topN' ? `top ${a.rule.n}` : `within ${a.rule.margin} of best, max ${a.rule.max}`})\n`);
          });
          return 0;
        }
        if (sub === 'show' || sub === 'delete') {
          const id = Number(opts.positionals[1]);
          if (!Number.isInteger(id) || id <= 0) throw new UsageError(`album ${sub} needs an album id`);
          if (sub === 'delete') {
            const r = await call(svc, 'albums.delete', { id });
            out(r, () => io.out.write(r.deleted ? `deleted album #${id}\n` : `no album #${id}\n`));
            return r.deleted ? 0 : 1;
          }
          const r = await call(svc, 'albums.get', { id, offset, limit });
          out(r, () => {
            io.out.write(`#${r.album.id}  ${r.album.name}  (${r.album.count} photos)\n`);
            for (const h of r.hits) io.out.write(`  ${h.score.toFixed(4)}  #${h.photo.id}  ${h.photo.path}\n`);
            if (r.hasMore) io.out.write('  …\n');
          });
          return 0;
        }
        if (sub === 'create') {
          const name = opts.positionals.slice(1).join(' ');
          if (!name) throw new UsageError('album create needs a name');
          const idOf = async (p: string) => {
            const ref = photoRef(p);
            if ('id' in ref) return ref.id;
            const hit = svc.db.prepare('SELECT id FROM photos WHERE path = ?').get(fs.realpathSync(ref.path)) as { id: number } | undefined;
            if (!hit) throw new UsageError(`${p} is not a library photo (albums need one: index its folder first)`);
            return hit.id;
          };
          const query =
            v.text !== undefined
              ? { kind: 'text' as const, text: v.text }
              : v.similar !== undefined
                ? { kind: 'similar' as const, photoId: await idOf(v.similar) }
                : v.photo !== undefined
                  ? { kind: 'compose' as const, photoId: await idOf(v.photo), instruction: v.instruction ?? '' }
                  : null;
          if (!query) throw new UsageError('album create needs --photo P --instruction S, --text S or --similar P');
          const rule = v.margin !== undefined ? { kind: 'relative' as const, margin: Number(v.margin), max: int(v.max, 200) } : { kind: 'topN' as const, n: int(v.top, 50) };
          const a = await call(svc, 'albums.create', { name, query, rule });
          out(a, () => io.out.write(`created album #${a.id} "${a.name}" with ${a.count} photos\n`));
          return 0;
        }
        throw new UsageError('album create|list|show|delete');
      }
      case 'folders': {
        const list = await call(svc, 'folders.list', {});
        out(list, () => {
          if (list.length === 0) io.out.write('no folders (add one with: magiclens index DIR)\n');
          for (const f of list) io.out.write(`#${f.id}  ${f.path}  ${f.photoCount} photos, ${f.errorCount} errors${f.available ? '' : '  (unavailable)'}\n`);
        });
        return 0;
      }
      case 'errors': {
        const r = await call(svc, 'photos.errors', { offset, limit: Math.max(limit, 100) });
        out(r, () => {
          if (r.total === 0) io.out.write('no errors\n');
          for (const p of r.items) io.out.write(`${p.path}: ${p.error}\n`);
          if (r.total > r.items.length) io.out.write(`… ${r.total - r.items.length} more\n`);
        });
        return 0;
      }
      case 'status': {
        const s = await call(svc, 'status.get', {});
        out(s, () => {
          io.out.write(`MagicLens ${s.version}  data: ${s.dataDir}\n`);
          io.out.write(`model: ${s.model ? `${s.model.name} (${s.model.id}${s.model.demo ? ', demo' : ''})` : 'none installed'}\n`);
          io.out.write(`photos: ${s.photos.total} (${s.photos.indexed} indexed, ${s.photos.pending} pending, ${s.photos.errors} errors) in ${s.folders} folders; ${s.albums} albums\n`);
        });
        return 0;
      }
      case 'serve': {
        const mod = await import('./server.js');
        await svc.close();
        const live = await createService({ dataDir, watch: true });
        const srv = await mod.startServer({ service: live, port: int(v.port, 0) });
        io.out.write(`${srv.url}\n`);
        await new Promise<void>((resolve) => {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await srv.close();
        await live.close();
        return 0;
      }
      default:
        throw new UsageError(`unknown command: ${cmd}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.err.write(`magiclens: ${(err as Error).message}\n`);
    return 1;
  } finally {
    if (!stopping) await svc.close();
  }
}

const isMain = process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`magiclens: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
