// Main-process side of the service host: forks the utility process and hands it a MessagePort.
// Everything else — promises that always settle, timeouts, restart with back-off, result checks —
// is main/host-core.ts, which is Electron-free and unit-tested with a worker-thread stand-in.
import { MessageChannelMain, utilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withMemoryTunables } from '../app/process-env.js';
import { HostSupervisor, type HostChild } from './host-core.js';

export class ServiceHost extends HostSupervisor {
  constructor(opts: { dataDir: string; bundledPacksDir?: string; debug: boolean }) {
    const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'service-host.js');
    const args = [`--data-dir=${opts.dataDir}`];
    if (opts.bundledPacksDir) args.push(`--bundled-packs=${opts.bundledPacksDir}`);
    const spawn = (): HostChild => {
      const child = utilityProcess.fork(entry, args, { serviceName: 'MagicLens service', stdio: 'inherit', env: withMemoryTunables(process.env) });
      const { port1, port2 } = new MessageChannelMain();
      child.postMessage({ type: 'port' }, [port2]);
      return { port: port1, onExit: (l) => void child.on('exit', l), kill: () => void child.kill() };
    };
    super({ spawn, validateResults: opts.debug });
  }
}
