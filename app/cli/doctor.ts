// `magiclens doctor [--repair] [--rebuild]`: checks the library file with the app closed (header,
// then quick_check) and, with --repair, restores the newest good backup or (none, or --rebuild)
// rebuilds the library from its readable rows with every photo pending for re-embedding.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { libraryFile, listBackups, repairClosedLibrary } from '../store/backup.js';
import { checkLibraryFile, quickCheck, type IntegrityResult } from '../store/integrity.js';
import { UsageError, type CliContext, type Command } from './command.js';

function checkClosed(file: string): IntegrityResult {
  const t0 = performance.now();
  try {
    checkLibraryFile(file);
    if (!fs.existsSync(file)) return { ok: true, errors: [], ms: 0, checkedAt: Date.now() };
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return quickCheck(db);
    } finally {
      db.close();
    }
  } catch (e) {
    return { ok: false, errors: [(e as Error).message], ms: performance.now() - t0, checkedAt: Date.now() };
  }
}

async function runDoctor(ctx: CliContext, args: string[]): Promise<number> {
  const unknown = args.filter((a) => a !== '--repair' && a !== '--rebuild');
  if (unknown.length) throw new UsageError(`doctor: unknown option ${unknown[0]}`);
  const file = libraryFile(ctx.dataDir);
  const check = checkClosed(file);
  const backups = listBackups(ctx.dataDir);
  const repair = args.includes('--repair') || args.includes('--rebuild');
  if (!repair || (check.ok && !args.includes('--rebuild'))) {
    ctx.print({ file, ...check, backups }, () => {
      ctx.io.out.write(check.ok ? `${file}: ok (quick_check ${check.ms.toFixed(0)} ms)\n` : `${file}: DAMAGED\n  ${check.errors.join('\n  ')}\nrun \`magiclens doctor --repair\` with the app closed\n`);
      ctx.io.out.write(`backups: ${backups.length ? backups.map((b) => new Date(b.at).toISOString()).join(', ') : 'none'}\n`);
    });
    return check.ok ? 0 : 1;
  }
  const r = repairClosedLibrary(ctx.dataDir, { rebuild: args.includes('--rebuild') });
  ctx.print(r, () => ctx.io.out.write(r.action === 'restored'
    ? `restored the backup of ${new Date(r.backupAt).toISOString()}; the damaged file was kept as ${r.damagedCopy}\n`
    : `rebuilt the library: ${r.photos} photos will be re-embedded${r.damagedCopy ? `; the damaged file was kept as ${r.damagedCopy}` : ''}\n`));
  return checkClosed(file).ok ? 0 : 1;
}

export const doctorCommand: Command = {
  name: 'doctor',
  usage: '  doctor [--repair] [--rebuild]        check the library file; repair it from a backup or rebuild it (app closed)',
  run: runDoctor,
};
