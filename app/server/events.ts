// GET /events as a WebSocket: the service's events fanned out to every authorised client.
// The channel is one-way (server to page); the upgrade passes the same guards as /api.
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BridgeContext } from './bridge.js';
import { bearer, hostAllowed, originAllowed, tokenMatches } from './guards.js';

export interface EventChannel {
  /** Stops the fan-out and drops every client. */
  close(): void;
}

export function attachEvents(server: http.Server, ctx: BridgeContext): EventChannel {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${ctx.port()}`);
    const ok =
      url.pathname === '/events' &&
      hostAllowed(req, ctx.port()) &&
      originAllowed(req, ctx.port()) &&
      tokenMatches(url.searchParams.get('token') ?? bearer(req), ctx.token);
    if (!ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      // A client talking back is ignored.
      ws.on('message', () => undefined);
    });
  });

  const unsubscribe = ctx.service.onEvent((e) => {
    const text = JSON.stringify(e);
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  return {
    close() {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
    },
  };
}
