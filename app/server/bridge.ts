// What every route of the HTTP/WebSocket bridge shares: the service it serves and the run's secrets.
import type { EventEnvelope, Handlers } from '../api/contract.js';

/** The part of app/service.ts's Service the bridge needs (structural, so tests can build one). */
export interface BridgeService {
  handlers: Handlers;
  onEvent(listener: (e: EventEnvelope) => void): () => void;
  imageFile(photoId: number, kind: 'thumb' | 'full'): Promise<{ path: string; contentType: string }>;
}

export interface BridgeContext {
  service: BridgeService;
  token: string;
  /** The bound port: known only once listen() returns, which is before any request arrives. */
  port(): number;
}
