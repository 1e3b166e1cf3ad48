// `magiclens errors`: files that could not be indexed, with the reason.
import { call, page, parseOptions, type Command } from './command.js';

export const errorsCommand: Command = {
  name: 'errors',
  usage: '  errors                               files that could not be indexed, with the reason',
  async run(ctx, args) {
    const { values: v } = parseOptions(args);
    const svc = await ctx.service(v);
    const { limit, offset } = page(v);
    const r = await call(svc, 'photos.errors', { offset, limit: Math.max(limit, 100) });
    ctx.print(r, () => {
      if (r.total === 0) ctx.io.out.write('no errors\n');
      for (const p of r.items) ctx.io.out.write(`${p.path}: ${p.error}\n`);
      if (r.total > r.items.length) ctx.io.out.write(`… ${r.total - r.items.length} more\n`);
    });
    return 0;
  },
};
