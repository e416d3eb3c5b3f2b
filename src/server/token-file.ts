/**
 * The server's token file: read it, or create it (mode 0600, exclusive create, a fresh random
 * token) when it is missing. Through the library's fs port, like every other file access.
 */
import { nodeFsPort, type FsPort } from '../io/fs-port.js';
import { LinkstoreError } from '../io/errors.js';
import { lstatHost, readHostFile } from '../io/outside.js';
import { formatMode } from '../io/plan.js';
import { MIN_TOKEN_LENGTH, newToken } from './auth.js';

const MAX_TOKEN_FILE = 4096;

async function readToken(fs: FsPort, file: string): Promise<string | undefined> {
  const st = lstatHost(fs, file);
  if (st === undefined) return undefined;
  if (!st.isFile()) throw new LinkstoreError('E_NOT_FILE', `The token file “${file}” is not a regular file.`, { path: file });
  // The token is root's key to the WHM API: like ssh with a private key, refuse one that other
  // users can read (or that another user owns, who could make it so), rather than serve with it.
  if ((st.mode & 0o077) !== 0) {
    throw new LinkstoreError(
      'E_INVALID_PARAM',
      `The token file “${file}” can be read or written by other users (mode ${formatMode(st.mode)}); make it private (chmod 600) and restart.`,
      { path: file },
    );
  }
  const uid = process.getuid?.();
  if (fs === nodeFsPort && uid !== undefined && st.uid !== uid) {
    throw new LinkstoreError('E_INVALID_PARAM', `The token file “${file}” belongs to another user (uid ${st.uid}); use one this user owns.`, { path: file });
  }
  // Opened O_NOFOLLOW|O_NONBLOCK and checked again by fstat: a FIFO or symlink swapped in since
  // the lstat is refused, not waited on.
  const token = readHostFile(fs, file, MAX_TOKEN_FILE).toString('utf8').trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new LinkstoreError('E_INVALID_PARAM', `The token file “${file}” must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces.`, {
      path: file,
    });
  }
  return token;
}

async function createToken(fs: FsPort, file: string): Promise<string> {
  const token = newToken();
  const fh = await fs.promises.open(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600);
  try {
    await fh.write(Buffer.from(token + '\n'));
    await fh.chmod(0o600);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return token;
}

/** The token in `file`, creating the file with a new token when it does not exist. */
export async function readOrCreateToken(file: string, fs: FsPort = nodeFsPort): Promise<{ token: string; created: boolean }> {
  const existing = await readToken(fs, file);
  if (existing !== undefined) return { token: existing, created: false };
  try {
    return { token: await createToken(fs, file), created: true };
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as { code?: unknown }).code === 'EEXIST') {
      const theirs = await readToken(fs, file);
      if (theirs !== undefined) return { token: theirs, created: false };
    }
    throw e;
  }
}
