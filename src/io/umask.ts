/**
 * The process umask, read without changing it. Never set-and-restore: another thread could create
 * a file under the wrong umask meanwhile. The no-argument form is only documentation-deprecated;
 * where it is unavailable (worker threads on some versions) assume the worst so callers chmod.
 */
export function umaskNow(): number {
  try {
    return process.umask();
  } catch {
    return 0o777;
  }
}
