/**
 * NDJSON input read line by line: chunks of bytes (a file read piece by piece, standard input)
 * split at LF, each line handed on undecoded (import checks each one as UTF-8 and names the line
 * that is not), so an import holds one line of its input at a time, not the whole input.
 */

/** Longest line accepted (a record carries at most an icon and a few URLs). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** A line longer than the limit: its bytes are dropped as they arrive, and import fails that line alone. */
export class OverlongLine {
  constructor(readonly bytes: number) {}
}

/** Split a stream of byte chunks into lines at LF (a last line without LF counts). */
export async function* lineBytes(chunks: AsyncIterable<Uint8Array>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<Uint8Array | OverlongLine> {
  let parts: Uint8Array[] = [];
  let held = 0;
  let dropped = 0;
  const take = (piece: Uint8Array) => {
    if (dropped > 0 || held + piece.length > maxBytes) {
      dropped += held + piece.length;
      parts = [];
      held = 0;
    } else if (piece.length > 0) {
      parts.push(piece);
      held += piece.length;
    }
  };
  const line = (): Uint8Array | OverlongLine => {
    const out = dropped > 0 ? new OverlongLine(dropped) : parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
    parts = [];
    held = 0;
    dropped = 0;
    return out;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      take(chunk.subarray(start, i));
      // A copy: the chunk's buffer may be reused by the reader for the next chunk.
      const l = line();
      yield l instanceof OverlongLine ? l : new Uint8Array(l);
      start = i + 1;
    }
    // The unfinished rest is copied too, for the same reason.
    if (start < chunk.length) take(new Uint8Array(chunk.subarray(start)));
  }
  if (held > 0 || dropped > 0) yield line();
}
