import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorResponse, type Request, type Response } from './respond.js';

/**
 * The node:http side of the server: sockets, timeouts, malformed requests,
 * listening and shutdown. What to answer is `answer`'s business.
 */

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Writes what `answer` returns, at once or when its promise settles (a file read on demand);
 * a failure becomes a 500 with no trace, and the operator gets the message.
 */
export function requestHandler(answer: (request: Request) => Response | Promise<Response>, log: (message: string) => void): RequestHandler {
  return (req, res) => {
    const close = carriesContent(req);
    const fail = (e: unknown) => {
      log(`feedpipe serve: internal error on ${JSON.stringify(req.url?.slice(0, 200))}: ${(e as Error).message}`);
      if (res.destroyed) return;
      if (!res.headersSent) send(res, errorResponse(500, 'internal error', req.method), close);
      else res.destroy();
    };
    try {
      const response = answer(req);
      if (!(response instanceof Promise)) return send(res, response, close);
      response
        .then((r) => {
          // The client may have gone, or the server closed, meanwhile.
          if (!res.destroyed) send(res, r, close);
        })
        .catch(fail);
    } catch (e) {
      fail(e);
    }
  };
}

/**
 * Whether the request has content (RFC 9112 6.3). No method served here takes
 * any (GET and HEAD have no defined meaning for it, the rest are 405), so the
 * server never reads it: it answers at once and closes the connection, where
 * keeping it open would mean waiting for content that may trickle in forever.
 * A client that asked leave to send content (Expect) may still send it: close too.
 */
function carriesContent(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0') || req.headers.expect !== undefined;
}

function send(res: ServerResponse, response: Response, close: boolean): void {
  // With "Connection: close", node ends the connection once the response is out, unread content and all.
  res.writeHead(response.status, close ? { ...response.headers, Connection: 'close' } : response.headers);
  if (response.body) res.end(response.body);
  else res.end();
}

export interface Timeouts {
  /** For the headers of a request, from its first byte (and for a new connection, from its opening). */
  headersMs: number;
  /** For a whole request. */
  requestMs: number;
  /** For the next request on a kept-alive connection. */
  keepAliveMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000 };

export function createHttpServer(handle: RequestHandler, timeouts: Partial<Timeouts> = {}): http.Server {
  const { headersMs, requestMs, keepAliveMs } = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const server = http.createServer(
    {
      headersTimeout: headersMs,
      requestTimeout: Math.max(requestMs, headersMs),
      keepAliveTimeout: keepAliveMs,
      // Node looks at both timeouts only this often, 30 s by default: headers sent a byte at a
      // time held a connection for 30 s whatever headersTimeout said. A tenth of it, at most 1 s.
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersMs / 10))),
    },
    handle,
  );
  // "Expect: 100-continue" asks leave to send content: answer at once instead (and close, above).
  server.on('checkContinue', handle);
  // Malformed requests never reach the handler: answer 400 (431 for huge headers) and close, never a trace.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  // CONNECT never reaches the request handler; without this, node would drop the socket unanswered.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  return server;
}

export function listen(server: http.Server, port: number, host: string): Promise<{ port: number; host: string; url: string }> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({ port: address.port, host: address.address, url: `http://${shown}:${address.port}/` });
    });
  });
}

/** Stops listening and ends open connections, keep-alive ones included. */
export async function close(server: http.Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
