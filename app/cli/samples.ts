// `magiclens samples`: add the demo world's sample photos (copied into the data folder) to the library,
// index them, and print the suggested searches as commands to try.
import { call, parseOptions, UsageError, type Command } from './command.js';

export const samplesCommand: Command = {
  name: 'samples',
  usage: '  samples                              add the bundled sample photos (demo world) and index them',
  details: 'The photos are copied into the data folder\'s samples/ and added as a library folder;\nthe suggested searches are printed as `magiclens search` commands.',
  async run(ctx, args) {
    const { values: v, positionals } = parseOptions(args);
    if (positionals.length) throw new UsageError('samples takes no arguments');
    const svc = await ctx.service(v);
    const added = await call(svc, 'samples.add', {});
    await svc.scansIdle();
    await svc.whenIdle();
    const s = await call(svc, 'samples.get', {});
    const folder = (await call(svc, 'folders.list', {})).find((f) => f.id === added.folderId);
    ctx.print({ folder: folder?.path ?? null, ...s }, () => {
      ctx.io.out.write(`${s.photos} sample photos in ${folder?.path ?? '?'}\nsuggested searches:\n`);
      for (const g of s.suggestions) {
        const ref = g.photoId === null ? `(${g.file} is not indexed)` : `magiclens search --photo ${g.photoId} --instruction "${g.instruction}"`;
        ctx.io.out.write(`  ${g.title}: ${ref}\n`);
      }
    });
    return 0;
  },
};
