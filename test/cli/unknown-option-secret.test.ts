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
