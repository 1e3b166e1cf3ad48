// The `magiclens` subcommands, in the order the overview lists them, and that overview.
import { albumCommand } from './album.js';
import type { Command } from './command.js';
import { doctorCommand } from './doctor.js';
import { errorsCommand } from './errors.js';
import { foldersCommand } from './folders.js';
import { indexCommand } from './index-folder.js';
import { modelCommand } from './model.js';
import { samplesCommand } from './samples.js';
import { searchCommand, similarCommand, sketchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { statusCommand } from './status.js';

export const COMMANDS: readonly Command[] = [
  indexCommand,
  searchCommand,
  similarCommand,
  sketchCommand,
  albumCommand,
  foldersCommand,
  samplesCommand,
  errorsCommand,
  statusCommand,
  modelCommand,
  serveCommand,
  doctorCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

export const USAGE = `magiclens — photo library search with instructions (MagicLens)

usage: magiclens [--json] <command> [options]

${COMMANDS.map((c) => c.usage).join('\n')}

Data lives in $MAGICLENS_HOME (default: the platform's user-data folder).`;

/** What `magiclens NAME --help` prints. */
export function commandHelp(c: Command): string {
  return `usage: magiclens [--json] ${c.name} [options]\n\n${c.usage}${c.details ? `\n${c.details}` : ''}`;
}
