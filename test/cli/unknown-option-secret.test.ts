/** An unknown option is named without the value typed after its `=`: that value may be a secret. */
import { expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

it('an unknown option’s value (a misplaced --client_secret=…, -token=…) is never printed, on stderr or in the envelope', async () => {
  for (const arg of ['--client_secret=s3cr3t-value', '-token=s3cr3t-value']) {
    const out: string[] = [];
    const err: string[] = [];
    const rc = await main(['--output', 'json', arg, 'list_integration_links', 'user=bob'], {
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      isTTY: false,
    });
    expect(rc).toBe(2);
    expect(err.join('')).toContain(`Unknown option “${arg.slice(0, arg.indexOf('='))}”`);
    expect(out.join('') + err.join('')).not.toContain('s3cr3t');
    expect(JSON.parse(out.join('')).metadata.error_code).toBe('E_USAGE');
  }
});

it('a bare argument of a function that takes a secret (a token given without “token=”) is not printed', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const root = mkdtempSync(join(tmpdir(), 'linkstore-bare-'));
  try {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), isTTY: false };
    const rc = await main(['--root', root, '--output', 'json', 'update_integration_link_token', 'user=bob', 'app=x', 's3cr3t-value'], io);
    expect(rc).toBe(2);
    expect(err.join('')).toContain('is not a key=value parameter');
    expect(out.join('') + err.join('')).not.toContain('s3cr3t');
    // A function without a secret still names the argument, which is most often the mistake.
    err.length = 0;
    expect(await main(['--root', root, 'list_integration_links', 'user=bob', 'stray'], io)).toBe(2);
    expect(err.join('')).toContain('“stray” is not a key=value parameter');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
