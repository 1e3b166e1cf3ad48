// The IPC adapter's logic, free of Electron so it can be tested: validates what the renderer
// sends (envelope, method name, params) and routes it to the service host or to main's shell.
import { ApiError, EVENT_NAMES, isMethod, parseParams, RequestEnvelope, type EventEnvelope, type EventName, type ResponseEnvelope } from '../app/api/contract.js';
import { events as eventSchemas } from '../app/api/schemas.js';
import { isShellMethod, shellMethods, type ShellMethod } from '../app/api/shell.js';
import { checkRendererParams, DIALOG_GRANTS, PathGrants } from './ipc-policy.js';
import { isAppUrl } from './security.js';

export type ShellHandlers = { [M in ShellMethod]: (params: never) => Promise<unknown> };

export interface IpcDeps {
  forward(envelope: RequestEnvelope): Promise<ResponseEnvelope>;
  shell: ShellHandlers;
  /** Paths main's dialogs gave this renderer. Without it no renderer path is accepted (fail closed). */
  grants?: PathGrants;
}

const NO_GRANTS = new PathGrants(0);

/** Handles one `magiclens:call` from a renderer frame at `senderUrl`. Never throws. */
export async function handleIpcCall(senderUrl: string | undefined, raw: unknown, deps: IpcDeps): Promise<ResponseEnvelope> {
  if (!senderUrl || !isAppUrl(senderUrl)) return { id: null, ok: false, error: { code: 'unauthorized', message: 'calls are accepted from the app page only' } };
  const env = RequestEnvelope.safeParse(raw);
  if (!env.success) return { id: null, ok: false, error: { code: 'invalid_request', message: 'malformed request envelope' } };
  const { id, method, params } = env.data;
  try {
    if (isShellMethod(method)) {
      const parsed = shellMethods[method].params.safeParse(params ?? {});
      if (!parsed.success) throw new ApiError('invalid_request', `invalid params for ${method}: ${parsed.error.issues[0]?.message ?? ''}`);
      const result = await (deps.shell[method] as (p: unknown) => Promise<unknown>)(parsed.data);
      // A path the user picked in main's own dialog may now come back as a request parameter.
      const kind = DIALOG_GRANTS[method];
      const picked = (result as { path?: unknown } | null)?.path;
      if (kind && typeof picked === 'string') deps.grants?.grant(kind, picked);
      return { id, ok: true, result };
    }
    if (!isMethod(method)) throw new ApiError('unknown_method', `unknown method: ${method}`);
    // Refuse bad input here already, so nothing malformed even reaches the service process;
    // then refuse paths and URLs main did not hand out.
    checkRendererParams(method, parseParams(method, params), deps.grants ?? NO_GRANTS);
    return await deps.forward(env.data);
  } catch (err) {
    return { id, ok: false, error: ApiError.from(err).toBody() };
  }
}

/** An event from the service host, checked against the contract before any window sees it. */
export function validateEvent(e: { event: string; data: unknown }): EventEnvelope | null {
  if (!(EVENT_NAMES as string[]).includes(e.event)) return null;
  const ok = eventSchemas[e.event as EventName].safeParse(e.data);
  return ok.success ? { event: e.event as EventName, data: ok.data } : null;
}
