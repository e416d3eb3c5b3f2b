/**
 * Request bodies, bounded: a body over the limit is refused (HTTP 413) before any of it is
 * acted on, by its Content-Length when it declares one and by counting when it streams.
 */
import type { IncomingMessage } from 'node:http';

/** Enough for a base64 PNG icon several times over (a WHM form post is a few KiB). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 413 | 400 };

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume(); // discard, as below
    return Promise.resolve({ ok: false, status: 413 });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        // Keep reading, discarding, so the client can finish sending and read the 413; the
        // connection closes after the answer, which bounds how long that lasts.
        chunks.length = 0;
        finish({ ok: false, status: 413 });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => finish({ ok: true, body: Buffer.concat(chunks) }));
    req.on('aborted', () => finish({ ok: false, status: 400 }));
    req.on('error', () => finish({ ok: false, status: 400 }));
  });
}
