/**
 * What the earlier steps of a dry run plan to leave on disk. A call made of many steps (a batch's
 * chunks, a restore's replayed links) runs each step against what the earlier ones wrote; its dry
 * run writes nothing, so without this each step would be planned against the unchanged disk and
 * the plan would differ from the real run: a LinkDB that three replayed links each extend would be
 * planned three times from the same old bytes, and the second of two identical writes would be
 * planned although the real run skips it.
 */
import { posix as path } from 'node:path';
import { changedOps, type FileOp } from './commit.js';
import type { Disk } from './disk.js';
import type { MutationOptions } from './plan.js';

export class PlannedWrites {
  /** The last operation planned on each (normalized) cPanel path. */
  private readonly last = new Map<string, FileOp>();

  /**
   * The planned content of `cpanelPath`: its bytes, `null` when it is planned to be removed, or
   * `undefined` when no earlier step plans anything there (so: read the disk).
   */
  contentOf(cpanelPath: string): Buffer | null | undefined {
    const op = this.last.get(path.normalize(cpanelPath));
    if (op === undefined) return undefined;
    return op.op === 'remove' ? null : Buffer.from(op.content.buffer, op.content.byteOffset, op.content.length);
  }

  /**
   * The operations of `ops` that change something, compared with the earlier plan where there is
   * one and with the disk elsewhere (the commit's own test); they become the plan for later steps.
   */
  async changed(disk: Disk, ops: readonly FileOp[]): Promise<FileOp[]> {
    const onDisk = new Set(
      await changedOps(
        disk,
        ops.filter((o) => !this.last.has(path.normalize(o.path))),
      ),
    );
    const todo = ops.filter((o) => {
      const before = this.last.get(path.normalize(o.path));
      return before === undefined ? onDisk.has(o) : changesPlanned(o, before);
    });
    for (const o of todo) this.last.set(path.normalize(o.path), o);
    return todo;
  }
}

/** Whether `op` changes what `earlier` (the last operation planned on its path) leaves there. */
function changesPlanned(op: FileOp, earlier: FileOp): boolean {
  if (op.op === 'remove') return earlier.op !== 'remove';
  if (earlier.op === 'remove') return true;
  return earlier.mode !== op.mode || earlier.uid !== op.uid || earlier.gid !== op.gid || Buffer.compare(earlier.content, op.content) !== 0;
}

/** The options of one step of a call made of many: a dry run's step sees the earlier steps' plan. */
export interface StepOptions extends MutationOptions {
  planned?: PlannedWrites;
}
