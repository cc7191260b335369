/** requestHandler: how a Response reaches node's ServerResponse, and what a failure inside becomes. No socket. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { requestHandler } from '../../src/serve/listen.js';
import type { Response } from '../../src/serve/respond.js';

function fakeResponse(headersSent = false) {
  const sent = { status: 0, headers: {} as Record<string, unknown>, body: undefined as Buffer | undefined, ended: false, destroyed: false };
  const res = {
    headersSent,
    writeHead(status: number, headers: Record<string, unknown>) {
      sent.status = status;
      sent.headers = headers;
    },
    end(body?: Buffer) {
      sent.body = body;
      sent.ended = true;
    },
    destroy() {
      sent.destroyed = true;
    },
  };
  return { res: res as unknown as ServerResponse, sent };
}

const req = (method: string, url: string) => ({ method, url, headers: {} }) as IncomingMessage;

describe('requestHandler', () => {
  it('writes the status, headers and body the answer returns', () => {
    const answer: Response = { status: 200, headers: { 'Content-Type': 'text/plain', 'Content-Length': '2' }, body: Buffer.from('ok') };
    const { res, sent } = fakeResponse();
    requestHandler(() => answer, () => undefined)(req('GET', '/'), res);
    expect(sent).toMatchObject({ status: 200, headers: answer.headers, ended: true });
    expect(sent.body!.toString()).toBe('ok');
  });

  it('turns a failure into a one-line 500 without a trace, and tells the operator', () => {
    const logged: string[] = [];
    const { res, sent } = fakeResponse();
    requestHandler(() => {
      throw new Error('snapshot broken at /srv/feeds');
    }, (m) => logged.push(m))(req('GET', '/feed.xml'), res);
    expect(sent.status).toBe(500);
    expect(sent.body!.toString()).toBe('500 Internal Server Error: internal error\n');
    expect(sent.headers['Cache-Control']).toBe('no-store');
    expect(logged).toEqual(['feedpipe serve: internal error on "/feed.xml": snapshot broken at /srv/feeds']);
  });

  it('drops the connection when the failure comes after the headers went out', () => {
    const { res, sent } = fakeResponse(true);
    requestHandler(() => {
      throw new Error('late');
    }, () => undefined)(req('GET', '/feed.xml'), res);
    expect(sent.destroyed).toBe(true);
    expect(sent.status).toBe(0);
  });
});
