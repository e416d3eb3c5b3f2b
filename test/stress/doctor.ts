/**
 * doctor at the end of a stress run: the library's `--fix` run at once with its default grace
 * period (the library's temps and locks name their writer, so a dead writer's go at once without
 * waiting out the grace), then a library scan and the CLI's `linkstore doctor` (from the suite's
 * private build copy), which must both report a clean tree.
 */
import { execFile } from 'node:child_process';
import { doctor, type DoctorReport } from '../../src/doctor/index.js';
import type { Linkstore } from '../../src/services.js';

export interface DoctorRun {
  first: DoctorReport;
  second: DoctorReport;
  cli: { code: number | null; report: { ok?: boolean; findings?: unknown[] } | undefined; stderr: string };
}

export async function runDoctor(ls: Linkstore, distDir: string, root: string): Promise<DoctorRun> {
  const first = await doctor(ls, { fix: true });
  const second = await doctor(ls, { graceMs: 0 });
  const script = `import(${JSON.stringify(`${distDir}/src/cli/main.js`)}).then((m) => m.main(['--root', ${JSON.stringify(root)}, '--output', 'json', 'doctor'])).then((c) => { process.exitCode = c; })`;
  const cli = await new Promise<DoctorRun['cli']>((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      let report: DoctorRun['cli']['report'];
      try {
        report = JSON.parse(stdout) as DoctorRun['cli']['report'];
      } catch {
        report = undefined;
      }
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, report, stderr });
    });
  });
  return { first, second, cli };
}
