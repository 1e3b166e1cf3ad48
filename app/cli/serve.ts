// `magiclens serve`: the local HTTP bridge for the UI, over a watching engine, until Ctrl-C.
import { removeBridgeFile, writeBridgeFile } from '../server/bridge-file.js';
import { intOpt, parseOptions, type Command } from './command.js';

export const serveCommand: Command = {
  name: 'serve',
  usage: '  serve [--port N]                     local HTTP bridge for the UI (127.0.0.1)',
  details: '        (prints the URL to open, token included; Ctrl-C stops it)',
  async run(ctx, args) {
    const { values: v } = parseOptions(args);
    const [{ startServer }, { createService }] = await Promise.all([import('../server.js'), import('../service.js')]);
    // Its own engine, not ctx.service(): the bridge keeps the library folders watched.
    const live = await createService({ dataDir: ctx.dataDir, watch: true });
    const srv = await startServer({ service: live, port: intOpt(v.port, 0) });
    // Found by the CLI's client mode (app/cli/remote.ts); owner-only, removed when this bridge stops.
    writeBridgeFile(ctx.dataDir, { url: `http://127.0.0.1:${srv.port}`, port: srv.port, token: srv.token, pid: process.pid });
    const forget = () => removeBridgeFile(ctx.dataDir);
    process.once('exit', forget); // also when something else ends the process
    ctx.io.out.write(`${srv.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    forget();
    process.off('exit', forget);
    await srv.close();
    await live.close();
    return 0;
  },
};
