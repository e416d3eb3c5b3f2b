/**
 * Long life: the store-wide cache of theme icon sizes holds what is fresh, not every theme name
 * the store ever met. Each account's RS names a theme; on a server whose accounts come and go (or
 * change themes) a long-running store sees many over weeks.
 */
import { beforeEach, expect, it } from 'vitest';
import { IntegrationStore } from '../../src/integration/index.js';
import { integrationContext } from '../../src/integration/store.js';
import { Users, userLookup } from '../../src/users/index.js';
import { describeOnDisks, peek, seed } from '../helpers/disks.js';
import { makeStore, seedServer } from './setup.js';

const tick = () => new Promise((r) => setTimeout(r, 2)); // memfs: millisecond mtimes

describeOnDisks('integration theme cache', (ctx) => {
  beforeEach(() => seedServer(ctx));

  const themes = (store: IntegrationStore) => integrationContext(store).themes as Map<string, unknown>;

  /** One link for bob under each of `n` themes (bob's RS rewritten before each). */
  async function linkUnderThemes(store: IntegrationStore, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await tick();
      seed(ctx, '/var/cpanel/users/bob', `DNS=bob.example\nRS=theme${i}\n`);
      await store.createLink({ user: 'bob', app: 'app', url: 'https://x.example/' });
    }
  }

  it('drops expired themes: with themeTtlMs 0 it never holds more than the theme just read', async () => {
    const store = makeStore(ctx); // themeTtlMs: 0
    await linkUnderThemes(store, 20);
    expect(themes(store).size).toBeLessThanOrEqual(1);
  });

  it('holds at most 64 themes even while they are fresh, and still serves the right sizes', async () => {
    const store = new IntegrationStore({ disk: ctx.disk, users: userLookup(new Users(ctx.disk, { checkIntervalMs: 0 })), themeTtlMs: 3_600_000 });
    await store.createLink({ user: 'alice', app: 'app', url: 'https://x.example/' });
    await linkUnderThemes(store, 70);
    expect(themes(store).size).toBeLessThanOrEqual(64);
    expect(themes(store).has('theme69')).toBe(true);
    await store.createLink({ user: 'alice', app: 'app2', url: 'https://x.example/' });
    const entry = JSON.parse(peek(ctx, '/var/cpanel/integration/dynamicui/alice/dynamicui_app2.conf') as string) as { width: number }[];
    expect(entry[0]?.width).toBe(48);
  });
});
