// Starts a worker thread on a module next to the caller (`./NAME.ts` in the sources, `./NAME.js` when
// built). The bulk lane, the int8 preparation (app/index/precision.ts) and the interactive lane's tokenizer
// (app/model/token-source.ts) run in such workers: ORT's session.run and session creation, the int8
// quantiser and the tokenizer's construction block the thread they run on.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The worker posts `{ type: 'fatal', error }` if its module cannot even be imported; what it posts
 * otherwise is the module's own protocol.
 */
export function startModuleWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  const isTs = callerUrl.endsWith('.ts');
  const target = new URL(`./${name}.${isTs ? 'ts' : 'js'}`, callerUrl).href;
  // From TypeScript sources (dev, tests) the worker may need tsx's loader to import the .ts
  // entry; built code imports the compiled .js directly.
  // The package's ESM entry (its CJS entry resolves its own loader path wrongly inside a worker).
  const tsx = isTs ? pathToFileURL(createRequire(callerUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href : null;
  // Under the tsx CLI the loader hooks already reach the worker and the import just works;
  // elsewhere (vitest) the .ts entry needs tsx registered first. Node 20 refuses the .ts file
  // (ERR_UNKNOWN_FILE_EXTENSION); Node >= 22.18 strips its types but cannot map its './x.js'
  // imports to the .ts sources (ERR_MODULE_NOT_FOUND, at link time: nothing ran yet).
  const code = `(async () => {
    try {
      await import(${JSON.stringify(target)});
    } catch (e) {
      if (!${JSON.stringify(tsx)} || !e || !['ERR_UNKNOWN_FILE_EXTENSION', 'ERR_MODULE_NOT_FOUND'].includes(e.code)) throw e;
      const api = await import(${JSON.stringify(tsx ?? '')});
      (api.register ?? api.default.register)();
      await import(${JSON.stringify(target + '?tsx')}); // a new URL: the failed import is cached
    }
  })().catch((e) => require('node:worker_threads').parentPort.postMessage({ type: 'fatal', error: String((e && e.stack) || e) }));`;
  return new Worker(code, { eval: true, workerData });
}
