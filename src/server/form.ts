/**
 * `application/x-www-form-urlencoded` text (a query string or a POST body) decoded strictly:
 * `URLSearchParams` turns percent-encoded bytes that are not UTF-8 (`label=a%FFb`) into U+FFFD,
 * which would be stored as such, where the CLI refuses the same bytes. Here they are an error
 * naming the parameter, with the CLI's text.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes of `text` (each char a byte: latin1, as HTTP carries it) with `+` and `%XX` decoded. */
function formBytes(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out[n++] = parseInt(text.slice(i + 1, i + 3), 16);
      i += 2;
    } else out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

export type FormEntry = [name: string, value: string];

/** The entries of `text` in order, or the name of the first whose name or value is not UTF-8. */
export function parseForm(text: string): { entries: FormEntry[] } | { notUtf8: string } {
  const entries: FormEntry[] = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    let name: string;
    try {
      name = strictUtf8.decode(formBytes(rawName));
    } catch {
      return { notUtf8: formBytes(rawName).toString('utf8') };
    }
    try {
      entries.push([name, strictUtf8.decode(formBytes(rawValue))]);
    } catch {
      return { notUtf8: name };
    }
  }
  return { entries };
}
