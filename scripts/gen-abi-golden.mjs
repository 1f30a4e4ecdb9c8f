#!/usr/bin/env node
// Regenerates the ABI golden files in test/fixtures/abi/ from a linux-libc-dev package's uapi headers:
// every struct/union with every member offset, every ioctl request and the integer constants of
// kfd_ioctl.h (-> kfd-<ver>-linux-<kver>.json) and of drm.h + amdgpu_drm.h (-> amdgpu-drm-linux-<kver>.json),
// measured by compiling a C program with `cc`. The struct lists come from reading the headers, not from
// src/uapi, so the golden files are independent of the layouts they check.
//
//   npx tsc -p tsconfig.json && node scripts/gen-abi-golden.mjs /tmp/bpo/linux-libc-dev_6.12.95-1~bpo12+1_all.deb
//
// How to fetch that package without touching the system's apt configuration: test/fixtures/abi/README.md.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { parseHeader } = await import(join(root, 'dist/test/abi/c-header.js'));
const { runProbe } = await import(join(root, 'dist/test/abi/c-probe.js'));

const deb = process.argv[2];
if (!deb) {
  console.error('usage: node scripts/gen-abi-golden.mjs <linux-libc-dev_*.deb>');
  process.exit(2);
}

const field = (name) => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();
const pkg = { name: field('Package'), version: field('Version') };
const work = mkdtempSync(join(tmpdir(), 'abi-golden-'));
try {
  execFileSync('dpkg-deb', ['-x', deb, work]);
  const inc = join(work, 'usr/include');
  const kernel = pkg.version.replace(/-.*/, '').split('.').slice(0, 2).join('.');

  const read = (rel) => {
    const text = readFileSync(join(inc, rel), 'utf8');
    return { rel, text, sha256: createHash('sha256').update(text).digest('hex'), decls: parseHeader(text) };
  };
  // An integer constant: a macro whose body is made of numbers, names, operators and char literals.
  const integerBody = (body) => body !== '' && /^[\w\s()<>|&+\-~*'x]+$/.test(body) && !/\b(struct|union|sizeof)\b/.test(body);

  const golden = (headers, opts) => {
    const structs = headers.flatMap((h) => h.decls.aggregates).map((a) => ({ key: a.key, fields: a.members.map((m) => ({ name: m, member: m })) }));
    const macros = headers.flatMap((h) => [...h.decls.macros]);
    const ioctls = macros.filter(([n]) => opts.ioctl.test(n)).map(([name]) => ({ name }));
    const consts = [
      ...macros.filter(([n, body]) => opts.constant.test(n) && !opts.ioctl.test(n) && integerBody(body)).map(([name]) => ({ name })),
      ...headers.filter((h) => opts.enumsFrom.includes(h.rel)).flatMap((h) => h.decls.enumerators.map((name) => ({ name, guard: '1' }))),
    ];
    const result = runProbe({ includes: headers.map((h) => h.rel), structs, ioctls, consts, meta: opts.meta ?? {} }, { includeDirs: [inc] });
    return {
      source: {
        package: `${pkg.name} ${pkg.version} (Debian)`,
        headers: headers.map((h) => ({ path: `/usr/include/${h.rel}`, sha256: h.sha256 })),
        generator: 'scripts/gen-abi-golden.mjs (cc on x86_64)',
      },
      ...result,
    };
  };

  const kfd = read('linux/kfd_ioctl.h');
  const kfdGolden = golden([kfd], {
    ioctl: /^AMDKFD_IOC_/,
    constant: /^(KFD_|AMDKFD_|NUM_OF_SUPPORTED_GPUS$)/,
    enumsFrom: ['linux/kfd_ioctl.h'],
    meta: { kfdMajor: 'KFD_IOCTL_MAJOR_VERSION', kfdMinor: 'KFD_IOCTL_MINOR_VERSION' },
  });
  const kfdName = `kfd-${kfdGolden.meta.kfdMajor}.${kfdGolden.meta.kfdMinor}-linux-${kernel}.json`;

  const drmGolden = golden([read('drm/drm.h'), read('drm/amdgpu_drm.h')], {
    ioctl: /^DRM_IOCTL_(?!BASE$)/,
    constant: /^(AMDGPU_|DRM_SYNCOBJ_|DRM_COMMAND_BASE$|DRM_IOCTL_BASE$)/,
    enumsFrom: ['drm/amdgpu_drm.h'],
  });
  const drmName = `amdgpu-drm-linux-${kernel}.json`;

  for (const [name, data] of [[kfdName, kfdGolden], [drmName, drmGolden]]) {
    const path = join(root, 'test/fixtures/abi', name);
    writeFileSync(path, JSON.stringify(data, null, 1) + '\n');
    console.log(`${path}: ${Object.keys(data.structs).length} structs, ${Object.keys(data.ioctls).length} ioctls, ${Object.keys(data.consts).length} constants`);
  }
  console.log(`header sha256: ${kfd.rel} ${kfd.sha256}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
