// The per-run CLI context: the engine opened on demand, with Ctrl-C closing it cleanly (a second
// Ctrl-C exits at once), and output in human or --json form.
import type { EngineService } from '../service.js';
import { call, intOpt, type CliContext, type EngineOptions, type Io } from './command.js';
import { connectRemote, type Api } from './remote.js';

export interface RunContext extends CliContext {
  /** Closes the engine if it was opened (and no signal is already closing it). */
  close(): Promise<void>;
}

export function createContext(io: Io, json: boolean, dataDir: string): RunContext {
  let svc: EngineService | null = null;
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    io.err.write('\nstopping (progress is saved; run the same command to continue)…\n');
    void svc?.close().then(() => process.exit(130));
  };
  return {
    io,
    json,
    dataDir,
    async service(opts: EngineOptions = {}) {
      if (svc) return svc;
      // Loaded here, not at the top: the service pulls in ONNX Runtime, sharp, SQLite and every handler
      // (seconds of module loading), which a search sent to a running `serve` never needs.
      const { createService } = await import('../service.js');
      svc = await createService({
        dataDir,
        watch: false,
        ...(opts.batch ? { batchSize: intOpt(opts.batch, 8) } : {}),
        ...(opts.threads ? { threads: intOpt(opts.threads, 2) } : {}),
      });
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      return svc;
    },
    async api(opts: EngineOptions = {}): Promise<Api> {
      // MAGICLENS_REMOTE=0 forces a cold start in this process (benchmarks, debugging).
      if (!svc && io.env.MAGICLENS_REMOTE !== '0') {
        const remote = await connectRemote(dataDir);
        if (remote) return remote;
      }
      const local = await this.service(opts);
      return { mode: 'local', call: (method, params) => call(local, method, params) };
    },
    print(value, human) {
      if (json) io.out.write(JSON.stringify(value, null, 2) + '\n');
      else human();
    },
    async close() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      if (svc && !stopping) await svc.close();
    },
  };
}
