// `magiclens model ...`: model packs (app/model/cli-model.ts; loaded only when used).
import type { CliContext, Command } from './command.js';

async function runModel(ctx: CliContext, args: string[], err: NodeJS.WritableStream): Promise<number> {
  const { runModelCommand } = await import('../model/cli-model.js');
  return runModelCommand(args, { dataDir: ctx.dataDir, out: ctx.io.out, err, json: ctx.json });
}

export const modelCommand: Command = {
  name: 'model',
  usage: '  model ...                            install | list | verify | activate | remove model packs',
  // The model CLI prints its usage on stderr; asked for, it goes to stdout like every --help.
  help: (ctx) => runModel(ctx, ['help'], ctx.io.out),
  run: (ctx, args) => runModel(ctx, args, ctx.io.err),
};
