// A minimal service for bridge/transport tests that run before (or without) the engine: the real
// contract dispatcher over a handler table whose unimplemented methods answer 'unavailable'.
// Used only where the real createService is not what is under test.
import { ApiError, METHOD_NAMES, type EventEnvelope, type Handlers } from '../../app/api/contract.js';
import type { BridgeService } from '../../app/server.js';

export interface FakeBridgeService extends BridgeService {
  emit(e: EventEnvelope): void;
  listeners: number;
}

export function bridgeService(overrides: Partial<Handlers>, imageFile: BridgeService['imageFile']): FakeBridgeService {
  const base = Object.fromEntries(
    METHOD_NAMES.map((m) => [m, async () => { throw new ApiError('unavailable', `${m} not implemented in this test service`); }]),
  ) as unknown as Handlers;
  const listeners = new Set<(e: EventEnvelope) => void>();
  return {
    handlers: { ...base, ...overrides } as Handlers,
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    imageFile,
    emit(e) {
      for (const l of listeners) l(e);
    },
    get listeners() {
      return listeners.size;
    },
  };
}
