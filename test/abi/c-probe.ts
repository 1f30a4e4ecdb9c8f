// A C program that reports struct sizes, member offsets, ioctl numbers and constants as the compiler
// sees them in the installed (or a given) header set, printed as JSON. Used by the ABI oracle test
// and by scripts/gen-abi-golden.mjs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One struct to measure: its layout name (see cTypeOf) and members as C designators. */
export interface StructProbe {
  readonly key: string;
  readonly fields: readonly { readonly name: string; readonly member: string }[];
  /** Preprocessor condition under which the struct exists in the headers. */
  readonly guard?: string;
}

/** A named integer: an ioctl request macro or a constant (macro or enumerator). */
export interface ValueProbe {
  readonly name: string;
  /** Preprocessor condition; macros default to `defined(NAME)`, enumerators need an explicit one. */
  readonly guard?: string;
}

export interface ProbeSpec {
  readonly includes: readonly string[];
  readonly structs: readonly StructProbe[];
  readonly ioctls: readonly ValueProbe[];
  readonly consts: readonly ValueProbe[];
  /** Extra integer expressions to report under `meta` (e.g. KFD_IOCTL_MINOR_VERSION). */
  readonly meta?: Readonly<Record<string, string>>;
}

export interface ProbeResult {
  structs: Record<string, { size: number; fields: Record<string, number> }>;
  ioctls: Record<string, number>;
  consts: Record<string, number>;
  meta: Record<string, number>;
}

/**
 * The C type a layout name stands for: `union x` and `struct x` as written, `x_t` typedefs as is,
 * `outer.member` the type of an anonymous member, anything else `struct x`.
 */
export function cTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot > 0) return `__typeof__(((${cTypeOf(name.slice(0, dot))} *)0)->${name.slice(dot + 1)})`;
  if (name.startsWith('union ') || name.startsWith('struct ') || name.endsWith('_t')) return name;
  return `struct ${name}`;
}

const cString = (s: string): string => JSON.stringify(s);

function guarded(guard: string | undefined, body: string): string {
  return guard ? `#if ${guard}\n${body}\n#endif` : body;
}

export function probeProgram(spec: ProbeSpec): string {
  const out: string[] = [
    '#include <stdio.h>',
    '#include <stddef.h>',
    '#include <stdint.h>',
    ...spec.includes.map((h) => `#include <${h}>`),
    'static int first;',
    'static void sep(void) { if (!first) putchar(\',\'); first = 0; }',
    'int main(void) {',
    '  printf("{\\"structs\\":{"); first = 1;',
  ];
  for (const s of spec.structs) {
    const t = cTypeOf(s.key);
    const lines = [`  sep(); printf("%s:{\\"size\\":%zu,\\"fields\\":{", ${cString(cString(s.key))}, sizeof(${t})); first = 1;`];
    for (const f of s.fields) lines.push(`  sep(); printf("%s:%zu", ${cString(cString(f.name))}, offsetof(${t}, ${f.member}));`);
    lines.push('  printf("}}"); first = 0;');
    out.push(guarded(s.guard, lines.join('\n')));
  }
  const values = (label: string, items: readonly ValueProbe[], cast: string, fmt: string): void => {
    out.push(`  printf("},\\"${label}\\":{"); first = 1;`);
    for (const v of items) {
      out.push(guarded(v.guard ?? `defined(${v.name})`, `  sep(); printf("%s:%${fmt}", ${cString(cString(v.name))}, (${cast})(${v.name}));`));
    }
  };
  values('ioctls', spec.ioctls, 'unsigned long long', 'llu');
  values('consts', spec.consts, 'long long', 'lld');
  out.push('  printf("},\\"meta\\":{"); first = 1;');
  for (const [k, expr] of Object.entries(spec.meta ?? {})) {
    out.push(`  sep(); printf("%s:%lld", ${cString(cString(k))}, (long long)(${expr}));`);
  }
  out.push('  printf("}}\\n");', '  return 0;', '}');
  return out.join('\n') + '\n';
}

/**
 * Compiles and runs the probe with `cc`. `shim` maps directory names to targets made available as
 * `-I<tmp>/<name>` symlinks (Debian's kfd_ioctl.h includes <drm/drm.h>, which lives in libdrm).
 */
export function runProbe(spec: ProbeSpec, opts: { includeDirs?: readonly string[]; shim?: Readonly<Record<string, string>>; compiler?: string } = {}): ProbeResult {
  const dir = mkdtempSync(join(tmpdir(), 'abi-probe-'));
  try {
    const shimDir = join(dir, 'shim');
    mkdirSync(shimDir);
    for (const [name, target] of Object.entries(opts.shim ?? {})) {
      if (existsSync(target)) symlinkSync(target, join(shimDir, name));
    }
    const src = join(dir, 'probe.c');
    const exe = join(dir, 'probe');
    writeFileSync(src, probeProgram(spec));
    const includes = [...(opts.includeDirs ?? []), shimDir].flatMap((d) => ['-I', d]);
    const cc = spawnSync(opts.compiler ?? 'cc', ['-std=gnu11', '-w', ...includes, '-o', exe, src], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`compiling the ABI probe failed:\n${cc.stderr}`);
    const run = spawnSync(exe, [], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`the ABI probe exited with ${run.status}: ${run.stderr}`);
    return JSON.parse(run.stdout) as ProbeResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Linux's 32-bit constants compared modulo 2^32: `(1 << 31)` is negative in C, 2**31 in TypeScript. */
export function sameConst(a: number | bigint, b: number | bigint): boolean {
  const norm = (x: number | bigint): bigint => BigInt.asUintN(32, BigInt(x));
  const fits = (x: number | bigint): boolean => BigInt(x) >= -(2n ** 31n) && BigInt(x) < 2n ** 32n;
  return fits(a) && fits(b) ? norm(a) === norm(b) : BigInt(a) === BigInt(b);
}
