// Oracle prerequisites for tests: outside CI a missing tool or header skips the test with a reason;
// in CI (CI=true) it fails the test, so no oracle is silently skipped there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

const found = new Map<string, boolean>();

export function hasCommand(cmd: string): boolean {
  let ok = found.get(cmd);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
    found.set(cmd, ok);
  }
  return ok;
}

/**
 * Returns true when every prerequisite is present. Otherwise skips the test ("skipped: <what is
 * missing>") outside CI, and throws inside CI.
 */
export function requireOracle(t: TestContext, needs: { commands?: string[]; files?: string[]; install?: string }): boolean {
  const missing = [
    ...(needs.commands ?? []).filter((c) => !hasCommand(c)),
    ...(needs.files ?? []).filter((f) => !existsSync(f)),
  ];
  if (missing.length === 0) return true;
  const install = needs.install ?? 'apt-get install -y clang-19 lld-19 llvm-19 llvm-19-dev libdrm-dev linux-libc-dev libhsa-runtime-dev gcc';
  const why = `skipped: ${missing.join(', ')} missing (install with: ${install})`;
  if (inCI) throw new Error(`CI must run this oracle test, but ${why.slice(9)}`);
  t.skip(why);
  return false;
}
