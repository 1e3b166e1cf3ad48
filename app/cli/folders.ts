// `magiclens folders`: the library folders with their counts.
import { call, parseOptions, type Command } from './command.js';

export const foldersCommand: Command = {
  name: 'folders',
  usage: '  folders                              list library folders',
  async run(ctx, args) {
    const svc = await ctx.service(parseOptions(args).values);
    const list = await call(svc, 'folders.list', {});
    ctx.print(list, () => {
      if (list.length === 0) ctx.io.out.write('no folders (add one with: magiclens index DIR)\n');
      for (const f of list) ctx.io.out.write(`#${f.id}  ${f.path}  ${f.photoCount} photos, ${f.errorCount} errors${f.available ? '' : '  (unavailable)'}\n`);
    });
    return 0;
  },
};
