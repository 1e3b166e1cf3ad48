// `magiclens status`: library, model and indexing state.
import { call, libraryVerdict, parseOptions, type Command } from './command.js';

export const statusCommand: Command = {
  name: 'status',
  usage: '  status                               library, model and indexing state',
  async run(ctx, args) {
    const svc = await ctx.service(parseOptions(args).values);
    const health = await svc.libraryHealth(); // the integrity check that runs after open
    const s = await call(svc, 'status.get', {});
    ctx.print(s, () => {
      const out = ctx.io.out;
      out.write(`MagicLens ${s.version}  data: ${s.dataDir}\n`);
      out.write(`model: ${s.model ? `${s.model.name} (${s.model.id}${s.model.demo ? ', demo' : ''})` : 'none installed'}\n`);
      out.write(`photos: ${s.photos.total} (${s.photos.indexed} indexed, ${s.photos.pending} pending, ${s.photos.errors} errors) in ${s.folders} folders; ${s.albums} albums\n`);
      out.write(`library file: ${health.state}${health.lastBackupAt ? `; last backup ${new Date(health.lastBackupAt).toISOString()}` : ''}\n`);
    });
    return libraryVerdict(ctx, health);
  },
};
