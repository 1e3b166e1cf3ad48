// The one typed API contract: method/event names, their types, the wire envelopes, the error
// type and the dispatcher every transport (IPC, HTTP bridge, CLI) uses. No Node imports here.
import { z } from 'zod';
import { ApiErrorBody, ApiErrorCode, events, methods } from './schemas.js';

export * as schemas from './schemas.js';

export type Methods = typeof methods;
export type Method = keyof Methods;
export type Params<M extends Method> = z.input<Methods[M]['params']>;
export type ValidParams<M extends Method> = z.output<Methods[M]['params']>;
export type Result<M extends Method> = z.output<Methods[M]['result']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventData<E extends EventName> = z.output<Events[E]>;

export type Photo = z.output<typeof import('./schemas.js').Photo>;
export type Folder = z.output<typeof import('./schemas.js').Folder>;
export type SearchHit = z.output<typeof import('./schemas.js').SearchHit>;
export type SearchResult = z.output<typeof import('./schemas.js').SearchResult>;
export type SearchFilters = z.output<typeof import('./schemas.js').SearchFilters>;
export type PhotoRef = z.output<typeof import('./schemas.js').PhotoRef>;
export type Album = z.output<typeof import('./schemas.js').Album>;
export type RecentSearch = z.output<typeof import('./schemas.js').RecentSearch>;
export type AlbumQuery = z.output<typeof import('./schemas.js').AlbumQuery>;
export type AlbumRule = z.output<typeof import('./schemas.js').AlbumRule>;
export type IndexProgress = z.output<typeof import('./schemas.js').IndexProgress>;
export type ModelInfo = z.output<typeof import('./schemas.js').ModelInfo>;
export type ModelInstallProgress = z.output<typeof import('./schemas.js').ModelInstallProgress>;
export type ModelUpgrade = z.output<typeof import('./schemas.js').ModelUpgrade>;
export type ModelCatalogueEntry = z.output<typeof import('./schemas.js').ModelCatalogueEntry>;
export type Settings = z.output<typeof import('./schemas.js').Settings>;
export type Status = z.output<typeof import('./schemas.js').Status>;
export type RepairResult = z.output<typeof import('./schemas.js').RepairResult>;
export type ProviderName = z.output<typeof import('./schemas.js').ProviderName>;
export type ApiErrorCode = z.output<typeof ApiErrorCode>;
export type ApiErrorBody = z.output<typeof ApiErrorBody>;

export const METHOD_NAMES = Object.keys(methods) as Method[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

/** The error every layer throws and every transport serialises. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toBody(): ApiErrorBody {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
  static from(err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ApiError('internal', message);
  }
}

// ---- Wire envelopes (JSON over IPC, HTTP and WebSocket) ----
export const RequestEnvelope = z.object({ id: z.union([z.string().max(64), z.number().int()]), method: z.string().max(64), params: z.unknown().optional() }).strict();
export type RequestEnvelope = z.output<typeof RequestEnvelope>;
export type ResponseEnvelope =
  | { id: string | number; ok: true; result: unknown }
  | { id: string | number | null; ok: false; error: ApiErrorBody };
export type EventEnvelope = { event: EventName; data: unknown };

/** The service implements one async handler per method, receiving validated params. */
export type Handlers = { [M in Method]: (params: ValidParams<M>) => Promise<Result<M>> };

/** Validates a method's params; throws ApiError('invalid_request') naming the bad fields. */
export function parseParams<M extends Method>(method: M, raw: unknown): ValidParams<M> {
  const schema = methods[method].params as unknown as z.ZodType<ValidParams<M>>;
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    throw new ApiError('invalid_request', `invalid params for ${method}${first ? `: ${first.path || '(root)'}: ${first.message}` : ''}`, issues);
  }
  return parsed.data;
}

/** Validate-and-call: the single entry point all transports use. Never throws. */
export async function dispatch(handlers: Handlers, raw: unknown): Promise<ResponseEnvelope> {
  const env = RequestEnvelope.safeParse(raw);
  if (!env.success) {
    const id = typeof raw === 'object' && raw !== null && 'id' in raw && (typeof raw.id === 'string' || typeof raw.id === 'number') ? raw.id : null;
    return { id, ok: false, error: { code: 'invalid_request', message: 'malformed request envelope' } };
  }
  const { id, method } = env.data;
  try {
    if (!isMethod(method)) throw new ApiError('unknown_method', `unknown method: ${method}`);
    const params = parseParams(method, env.data.params);
    const handler = handlers[method] as (p: unknown) => Promise<unknown>;
    const result = await handler(params);
    return { id, ok: true, result };
  } catch (err) {
    return { id, ok: false, error: ApiError.from(err).toBody() };
  }
}

/** What the renderer (and tests) program against; IPC and HTTP each implement it. */
export interface ApiClient {
  call<M extends Method>(method: M, params?: Params<M>): Promise<Result<M>>;
  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void;
  /** URL for a photo's thumbnail / full image, as the transport serves it. */
  imageUrl(photoId: number, kind: 'thumb' | 'full'): string;
}

/** Events the service emits, typed; transports fan them out. */
export type EventSink = <E extends EventName>(event: E, data: EventData<E>) => void;
