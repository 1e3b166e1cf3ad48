// `magiclens serve`: the local HTTP bridge for the UI, over a watching engine, until Ctrl-C.
import { createService } from '../service.js';
import { intOpt, parseOptions, type Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: '  serve [--port N]                     local HTTP bridge for the UI (127.0.0.1)',
  details: '        (prints the URL to open, token included; Ctrl-C stops it)',
  async run(ctx, args) {
    const { values: v } = parseOptions(args);
    const { startServer } = await import('../server.js');
    // Its own engine, not ctx.service(): the bridge keeps the library folders watched.
    const live = await createService({ dataDir: ctx.dataDir, watch: true });
    const srv = await startServer({ service: live, port: intOpt(v.port, 0) });
    ctx.io.out.write(`${srv.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await srv.close();
    await live.close();
    return 0;
  },
};
