// `magiclens`: the command line over the same service the app uses (same handlers, same
// validation: every call goes through the contract's dispatcher). This module reads the global
// flags, finds the subcommand (app/cli/commands.ts) and runs it; exit 2 means a usage error.
import { UsageError, wantsHelp, type Io } from './cli/command.js';
import { commandHelp, findCommand, USAGE } from './cli/commands.js';
import { createContext } from './cli/context.js';
import { defaultDataDir } from './paths.js';

export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const name = args[0];
  const rest = args.slice(1);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    // `magiclens help CMD` is `magiclens CMD --help`.
    const topic = name === 'help' && rest[0] ? findCommand(rest[0]) : undefined;
    io.out.write((topic ? commandHelp(topic) : USAGE) + '\n');
    return name ? 0 : 2;
  }
  const command = findCommand(name);
  if (!command) {
    io.err.write(`unknown command: ${name}\n\n${USAGE}\n`);
    return 2;
  }
  const ctx = createContext(io, json, defaultDataDir(io.env));
  try {
    if (wantsHelp(rest)) {
      if (command.help) return await command.help(ctx);
      io.out.write(commandHelp(command) + '\n');
      return 0;
    }
    return await command.run(ctx, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    io.err.write(`magiclens: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await ctx.close();
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
