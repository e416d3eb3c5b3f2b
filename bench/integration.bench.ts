/**
 * Integration-link benchmarks, each against a baseline measured in the same run on a real temp
 * directory:
 * - integration.create_durable: replace one link with full durability vs the minimal durable
 *   3-file sequence written inline (temp + fsync + rename ×3, then the two directory fsyncs);
 * - integration.bulk: 10k links across 1k users through the batch API vs single creates;
 * - integration.list_1k: list a user with 1,000 links.
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Disk } from '../src/io/disk.js';
import { encodePretty } from '../src/io/json-codec.js';
import { IntegrationStore, linkEntry, DEFAULT_ICON_BASE64, type CreateLinkParams } from '../src/integration/index.js';
import { Users, userLookup } from '../src/users/index.js';
import { MAX_LOOP_HOLD_MS, durableWriteInline, median, medianMs, timeMs, withTicks, type Benchmark } from './harness.js';

interface Server {
  root: string;
  store: IntegrationStore;
  cleanup(): void;
}

/** A temp server tree with `n` jupiter accounts u0..u{n-1}. */
export function integrationServer(n: number): Server {
  return server(n);
}

function server(n: number): Server {
  const root = mkdtempSync(join(tmpdir(), 'linkstore-bench-'));
  const w = (p: string, c: string) => {
    fs.mkdirSync(join(root, p, '..'), { recursive: true });
    fs.writeFileSync(join(root, p), c);
  };
  const passwd = ['root:x:0:0:root:/root:/bin/bash'];
  const group = ['root:x:0:'];
  fs.mkdirSync(join(root, 'var/cpanel/users'), { recursive: true });
  for (let i = 0; i < n; i++) {
    passwd.push(`u${i}:x:${2000 + i}:${2000 + i}::/home/u${i}:/bin/bash`);
    group.push(`u${i}:x:${2000 + i}:`);
    fs.writeFileSync(join(root, `var/cpanel/users/u${i}`), `DNS=u${i}.example\nRS=jupiter\n`);
  }
  w('/etc/passwd', passwd.join('\n') + '\n');
  w('/etc/group', group.join('\n') + '\n');
  w('/usr/local/cpanel/base/frontend/jupiter/config.json', '{"icon":{"feature":{"width":48,"height":48},"group":{"width":32,"height":32}}}');
  const disk = new Disk({ root });
  const store = new IntegrationStore({ disk, users: userLookup(new Users(disk)) });
  return { root, store, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

const params = (i: number) => ({ url: `https://billing.example.com/cp/${i}`, label: 'WHMCS Billing', implements: 'billing', order: '5', token: `tok${i}` });

/** The minimal durable write of the same three files, inline. */
function inlineThreeFiles(root: string, user: string, app: string, i: number): void {
  const L = join(root, 'var/cpanel/integration/links', user);
  const D = join(root, 'var/cpanel/integration/dynamicui', user);
  const p = params(i);
  const { token, ...uc } = p;
  const files: [string, string, string, number][] = [
    [L, `${app}.userconfig`, encodePretty(uc), 0o644],
    [L, `${app}.adminconfig`, encodePretty({ token }), 0o600],
    [D, `dynamicui_${app}.conf`, encodePretty([linkEntry(app, uc, { width: 48, height: 48 })]), 0o644],
  ];
  durableWriteInline(files, i);
}

const createDurable: Benchmark = {
  name: 'integration.create_durable',
  async run({ quick }) {
    const s = server(1);
    try {
      const n = quick ? 30 : 200;
      await s.store.createLink({ user: 'u0', app: 'WHMCS_billing', ...params(0) });
      for (let i = 0; i < 5; i++) inlineThreeFiles(s.root, 'u0', 'inline', i);
      // Interleave the two so disk-cache state drifts equally for both.
      const ours: number[] = [];
      const base: number[] = [];
      for (let i = 0; i < n; i++) {
        ours.push(await timeMs(() => s.store.createLink({ user: 'u0', app: 'WHMCS_billing', ...params(i) })));
        base.push(await timeMs(() => inlineThreeFiles(s.root, 'u0', 'inline', i)));
      }
      const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
      const figure = med(ours);
      const baseline = med(base);
      const ratio = figure / baseline;
      return { figure, unit: 'ms/link', baseline, ratio, target: 'ratio ≤ 1.5', met: ratio <= 1.5, note: `median of ${n}, replace of an existing link` };
    } finally {
      s.cleanup();
    }
  },
};

const bulk: Benchmark = {
  name: 'integration.bulk',
  async run({ quick }) {
    const users = quick ? 100 : 1000;
    const perUser = 10;
    const total = users * perUser;
    const items: CreateLinkParams[] = [];
    for (let u = 0; u < users; u++) for (let k = 0; k < perUser; k++) items.push({ user: `u${u}`, app: `app${k}`, ...params(k) });
    const a = server(users);
    const b = server(users);
    try {
      await a.store.listLinks({ user: 'u0' }); // warm the user caches of both the same way
      await b.store.listLinks({ user: 'u0' });
      // Interleave rounds (a slice of the users each) so that the disk's drifting speed on this
      // kind of VM affects both sides alike: 5 rounds of 200 users (finer rounds leave the batch
      // pool draining more often, which is not what a bulk run looks like), the side that goes
      // first alternating. The ratio is total singles time / total batch time; the median of the
      // per-round ratios is printed beside it, to show when one slow phase of the disk decided it.
      const rounds = 5;
      const per = Math.ceil(users / rounds) * perUser;
      let batch = 0;
      let singles = 0;
      let gap = 0;
      const perRound: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const slice = items.slice(r * per, (r + 1) * per);
        const runBatch = async () => {
          const t = await withTicks(async () => {
            const res = await a.store.createLinks(slice);
            if (res.failed) throw new Error(`batch failed for ${res.failed} items`);
          });
          gap = Math.max(gap, t.longestGap);
          return t.ms;
        };
        const runSingles = () =>
          timeMs(async () => {
            for (const it of slice) await b.store.createLink(it);
          });
        let tb: number;
        let ts: number;
        if (r % 2 === 0) {
          tb = await runBatch();
          ts = await runSingles();
        } else {
          ts = await runSingles();
          tb = await runBatch();
        }
        batch += tb;
        singles += ts;
        perRound.push(ts / tb);
      }
      const speedup = singles / batch;
      return {
        figure: batch,
        unit: 'ms total',
        baseline: singles,
        ratio: speedup,
        target: `≥ 3× faster, loop held ≤ ${MAX_LOOP_HOLD_MS} ms`,
        met: speedup >= 3 && gap <= MAX_LOOP_HOLD_MS,
        note:
          `${total} links across ${users} users; ratio = singles / batch; median of ${rounds} per-round ratios ${median(perRound).toFixed(2)}; ` +
          `longest event-loop gap during a batch ${gap.toFixed(0)} ms`,
      };
    } finally {
      a.cleanup();
      b.cleanup();
    }
  },
};

const list1k: Benchmark = {
  name: 'integration.list_1k',
  async run({ quick }) {
    const s = server(1);
    try {
      const items = Array.from({ length: 1000 }, (_, k) => ({ user: 'u0', app: `app${k}`, url: 'https://x/' }));
      await s.store.createLinks(items);
      await s.store.createGroup({ user: 'u0', group_id: 'g' });
      for (let i = 0; i < 20; i++) await s.store.listLinks({ user: 'u0' });
      const figure = await medianMs(quick ? 50 : 300, async () => {
        const l = await s.store.listLinks({ user: 'u0' });
        if (l.length !== 1000) throw new Error('bad listing');
      });
      return { figure, unit: 'ms', target: '≤ 2 ms', met: figure <= 2, note: `default icon ${DEFAULT_ICON_BASE64.length} chars` };
    } finally {
      s.cleanup();
    }
  },
};

export const benchmarks: Benchmark[] = [createDurable, bulk, list1k];
