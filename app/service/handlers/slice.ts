// The part of the API's handler table that serves one namespace ("folders" → folders.*).
import type { Handlers, Method } from '../../api/contract.js';

export type HandlerSlice<NS extends string> = Pick<Handlers, Extract<Method, `${NS}.${string}`>>;
