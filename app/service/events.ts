// The service's event bus: API events fan out to every listener (bridge, utility-process host, tests).
import type { EventEnvelope, EventSink } from '../api/contract.js';

export type Listener = (e: EventEnvelope) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  readonly emit: EventSink = (event, data) => {
    for (const l of this.listeners) {
      try {
        l({ event, data });
      } catch {
        /* a listener's failure is its own */
      }
    }
  };

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }
}
