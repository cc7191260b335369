import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorResponse, type Request, type Response } from './respond.js';

/**
 * The node:http side of the server: sockets, timeouts, malformed requests,
 * listening and shutdown. What to answer is `answer`'s business.
 */

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Writes what `answer` returns; a throw becomes a 500 with no trace, and the operator gets the message. */
export function requestHandler(answer: (request: Request) => Response, log: (message: string) => void): RequestHandler {
  return (req, res) => {
    try {
      send(res, answer(req));
    } catch (e) {
      log(`feedpipe serve: internal error on ${JSON.stringify(req.url?.slice(0, 200))}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, errorResponse(500, 'internal error', req.method));
      else res.destroy();
    }
  };
}

function send(res: ServerResponse, response: Response): void {
  res.writeHead(response.status, response.headers);
  if (response.body) res.end(response.body);
  else res.end();
}

export function createHttpServer(handle: RequestHandler): http.Server {
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, handle);
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
