/**
 * The server on both backends (memfs and a real temp dir with the library's real dot-locks):
 * 100 concurrent requests keep every write, an oversized body writes nothing, curl and fetch
 * get the same answer.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startServer, type RunningServer } from '../../src/server/index.js';
import { describeOnDisks, peek, snapshotTree } from '../helpers/disks.js';
import { linkstoreOn, seedSandbox } from '../apply/setup.js';

const run = promisify(execFile);

describeOnDisks('linkstore serve', (ctx) => {
  let server: RunningServer;
  const auth = () => ({ authorization: `whm root:${server.token}` });
  const form = (params: Record<string, string>) => ({
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });

  beforeEach(async () => {
    seedSandbox(ctx);
    server = await startServer({ linkstore: linkstoreOn(ctx) });
  });
  afterEach(() => server.close());

  it('answers 100 concurrent requests, every write kept', async () => {
    const writes = Array.from({ length: 100 }, (_, i) =>
      fetch(
        `${server.url}/json-api/create_integration_link?api.version=1`,
        form({ user: 'bob', app: `app${i}`, url: `https://x.example/${i}`, token: `t${i}` }),
      ),
    );
    const reads = Array.from({ length: 20 }, () => fetch(`${server.url}/json-api/list_integration_links?api.version=1&user=bob`, { headers: auth() }));
    const answers = await Promise.all([...writes, ...reads]);
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Array<{ metadata: { result: number } }>;
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 120 }, () => 200));
    expect(bodies.filter((b) => b.metadata.result !== 1)).toEqual([]);
    const list = (await (await fetch(`${server.url}/json-api/list_integration_links?api.version=1&user=bob`, { headers: auth() })).json()) as {
      data: { links: unknown[] };
    };
    expect(list.data.links).toHaveLength(100);
    for (const i of [0, 57, 99]) expect(JSON.parse(peek(ctx, `/var/cpanel/integration/links/bob/app${i}.adminconfig`) ?? '')).toEqual({ token: `t${i}` });
  });

  it('refuses an oversized body with 413 and writes nothing', async () => {
    const before = snapshotTree(ctx);
    const big = await fetch(
      `${server.url}/json-api/create_integration_link?api.version=1`,
      form({ user: 'bob', app: 'big', url: 'https://x', base64_png_image: 'A'.repeat(MAX_BODY_BYTES) }),
    );
    expect(big.status).toBe(413);
    expect(snapshotTree(ctx)).toEqual(before);
  });

  it('curl and fetch get the same bytes', async () => {
    const path = '/cpsess1234/json-api/validate_system_user?api.version=1&user=bob';
    const viaFetch = await (await fetch(server.url + path, { headers: auth() })).text();
    const viaCurl = await run('curl', ['-sS', '-H', `Authorization: whm root:${server.token}`, server.url + path]);
    expect(viaCurl.stdout).toBe(viaFetch);
    expect(JSON.parse(viaFetch)).toMatchObject({ data: { exists: 1 }, metadata: { result: 1 } });
  });
});
