// Code-object reader checked against LLVM's own tools on the corpus: metadata against
// llvm-readelf-19 --notes, descriptor bits against llvm-objdump-19's .amdhsa_* disassembly (gfx942)
// and raw .rodata bytes, e_flags against llvm-readelf-19 -h, relocations against llvm-readelf-19 -r.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BundleError,
  TargetMismatchError,
  checkTarget,
  decodeTarget,
  loadCodeObject,
  parseOffloadBundle,
  selectBundleEntry,
  R_AMDGPU,
  type KernelInfo,
} from '../src/codeobj/index.js';
import { packagePath } from '../src/os/package-root.js';
import { requireOracle } from './support/tools.js';

const KERNELS = packagePath('test', 'kernels');
const coFiles = readdirSync(KERNELS).filter((f) => f.endsWith('.co')).sort();
const read = (file: string): Uint8Array => new Uint8Array(readFileSync(join(KERNELS, file)));

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// --- a YAML subset parser, enough for llvm-readelf's AMDGPU metadata dump ---------------------
type Yaml = string | number | boolean | Yaml[] | { [k: string]: Yaml };
function yamlScalar(text: string): Yaml {
  const t = text.replace(/^!str\s+/, '').trim();
  if (/^'.*'$/.test(t)) return t.slice(1, -1).replace(/''/g, "'");
  if (/^".*"$/.test(t)) return JSON.parse(t) as string;
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === '[]') return [];
  if (/^-?\d+$/.test(t)) return Number(t);
  return t;
}
function parseYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '' && l.trim() !== '---' && l.trim() !== '...')
    .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  const block = (indent: number): Yaml => {
    if (lines[i]!.text.startsWith('- ')) {
      const list: Yaml[] = [];
      while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')) {
        const rest = lines[i]!.text.slice(2);
        if (/^[^\s'"][^:]*:(\s|$)/.test(rest)) {
          lines[i] = { indent: indent + 2, text: rest }; // "- key: v" opens a map at indent+2
          list.push(block(indent + 2));
        } else {
          list.push(yamlScalar(rest));
          i++;
        }
      }
      return list;
    }
    const map: { [k: string]: Yaml } = {};
    while (i < lines.length && lines[i]!.indent === indent && !lines[i]!.text.startsWith('- ')) {
      const line = lines[i]!.text;
      const colon = line.indexOf(':');
      const key = line.slice(0, colon);
      const rest = line.slice(colon + 1).trim();
      i++;
      map[key] = rest === '' ? block(lines[i]!.indent) : yamlScalar(rest);
    }
    return map;
  };
  return block(lines[0]!.indent);
}

function readelfMetadata(file: string): { [k: string]: Yaml } {
  const out = run('llvm-readelf-19', ['--notes', join(KERNELS, file)]);
  const start = out.indexOf('---');
  const end = out.indexOf('\n...', start);
  return parseYaml(out.slice(start, end)) as { [k: string]: Yaml };
}

/** msgpack values as YAML would print them (booleans and numbers unchanged, nested likewise). */
function normalize(v: unknown): Yaml {
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalize(x)]));
  }
  return v as Yaml;
}

test('every corpus kernel: metadata equals llvm-readelf-19 --notes, hidden args split out', (t) => {
  if (!requireOracle(t, { commands: ['llvm-readelf-19'] })) return;
  assert.ok(coFiles.length >= 40, `expected the corpus .co files, found ${coFiles.length}`);
  for (const file of coFiles) {
    const co = loadCodeObject(read(file));
    const oracle = readelfMetadata(file);
    assert.deepEqual(co.metadata.version, oracle['amdhsa.version'], file);
    assert.equal(co.metadata.target, oracle['amdhsa.target'], file);
    const oracleKernels = oracle['amdhsa.kernels'] as { [k: string]: Yaml }[];
    assert.equal(co.kernels.size, oracleKernels.length, file);
    for (const want of oracleKernels) {
      const k = co.kernel(want['.name'] as string);
      assert.deepEqual(normalize(k.metadata.raw), want, `${file} ${k.name}: raw metadata`);
      assert.equal(k.metadata.kernargSegmentSize, want['.kernarg_segment_size']);
      assert.equal(k.metadata.groupSegmentFixedSize, want['.group_segment_fixed_size']);
      assert.equal(k.metadata.privateSegmentFixedSize, want['.private_segment_fixed_size']);
      assert.equal(k.metadata.wavefrontSize, want['.wavefront_size']);
      assert.equal(k.metadata.sgprCount, want['.sgpr_count']);
      assert.equal(k.metadata.vgprCount, want['.vgpr_count']);
      const args = (want['.args'] ?? []) as { [k: string]: Yaml }[];
      assert.deepEqual(
        k.metadata.args.map((a) => [a.offset, a.size, a.valueKind, a.name, a.addressSpace, a.typeName]),
        args.map((a) => [a['.offset'], a['.size'], a['.value_kind'], a['.name'], a['.address_space'], a['.type_name']]),
        `${file} ${k.name}: args`,
      );
      assert.equal(k.explicitArgs.length + k.hiddenArgs.length, args.length);
      assert.ok(k.hiddenArgs.every((a) => a.valueKind.startsWith('hidden_')));
    }
  }
});

test('lds_dynamic: static + dynamic LDS and COV5 hidden-argument layout', () => {
  for (const target of ['gfx1100', 'gfx942'] as const) {
    const k = loadCodeObject(read(`lds_dynamic.${target}.co`), { target }).kernel('lds_dynamic');
    assert.equal(k.metadata.groupSegmentFixedSize, 256, 'static LDS: 64 words');
    assert.equal(k.descriptor.groupSegmentFixedSize, 256);
    const dyn = k.explicitArgs.find((a) => a.name === 'dyn')!;
    assert.deepEqual([dyn.valueKind, dyn.size, dyn.offset, dyn.pointeeAlign], ['dynamic_shared_pointer', 4, 8, 4]);
    // Hidden arguments start at the 8-aligned end of the explicit ones (36 -> 40); offsets within
    // the implicit area follow AMDGPUUsage "Code Object V5 Metadata".
    const hidden = Object.fromEntries(k.hiddenArgs.map((a) => [a.valueKind, a.offset - 40]));
    assert.deepEqual(hidden, {
      hidden_block_count_x: 0, hidden_block_count_y: 4, hidden_block_count_z: 8,
      hidden_group_size_x: 12, hidden_group_size_y: 14, hidden_group_size_z: 16,
      hidden_remainder_x: 18, hidden_remainder_y: 20, hidden_remainder_z: 22,
      hidden_global_offset_x: 40, hidden_global_offset_y: 48, hidden_global_offset_z: 56,
      hidden_grid_dims: 64, hidden_dynamic_lds_size: 120,
    });
    assert.equal(k.metadata.kernargSegmentSize, 296);
    assert.equal(k.descriptor.kernargSize, 296);
    assert.equal(k.descriptor.properties.wavefrontSize32, target === 'gfx1100');
    assert.equal(k.metadata.wavefrontSize, target === 'gfx1100' ? 32 : 64);
  }
});

// .amdhsa_* directive -> our decoded value (llvm-objdump-19 prints these for gfx942 descriptors).
const DIRECTIVES: Record<string, (k: KernelInfo) => number> = {
  group_segment_fixed_size: (k) => k.descriptor.groupSegmentFixedSize,
  private_segment_fixed_size: (k) => k.descriptor.privateSegmentFixedSize,
  kernarg_size: (k) => k.descriptor.kernargSize,
  accum_offset: (k) => (k.descriptor.rsrc3.layout === 'gfx90a' ? (k.descriptor.rsrc3.accumOffset + 1) * 4 : -1),
  tg_split: (k) => (k.descriptor.rsrc3.layout === 'gfx90a' ? +k.descriptor.rsrc3.tgSplit : -1),
  next_free_vgpr: (k) => (k.descriptor.rsrc1.granulatedWorkitemVgprCount + 1) * 8,
  float_round_mode_32: (k) => k.descriptor.rsrc1.floatRoundMode32,
  float_round_mode_16_64: (k) => k.descriptor.rsrc1.floatRoundMode16_64,
  float_denorm_mode_32: (k) => k.descriptor.rsrc1.floatDenormMode32,
  float_denorm_mode_16_64: (k) => k.descriptor.rsrc1.floatDenormMode16_64,
  dx10_clamp: (k) => +k.descriptor.rsrc1.enableDx10Clamp,
  ieee_mode: (k) => +k.descriptor.rsrc1.enableIeeeMode,
  fp16_overflow: (k) => +k.descriptor.rsrc1.fp16Overflow,
  enable_private_segment: (k) => +k.descriptor.rsrc2.enablePrivateSegment,
  system_sgpr_workgroup_id_x: (k) => +k.descriptor.rsrc2.enableSgprWorkgroupId[0],
  system_sgpr_workgroup_id_y: (k) => +k.descriptor.rsrc2.enableSgprWorkgroupId[1],
  system_sgpr_workgroup_id_z: (k) => +k.descriptor.rsrc2.enableSgprWorkgroupId[2],
  system_sgpr_workgroup_info: (k) => +k.descriptor.rsrc2.enableSgprWorkgroupInfo,
  system_vgpr_workitem_id: (k) => k.descriptor.rsrc2.enableVgprWorkitemId,
  exception_fp_ieee_invalid_op: (k) => k.descriptor.rsrc2.exceptionMask & 1,
  exception_fp_denorm_src: (k) => (k.descriptor.rsrc2.exceptionMask >> 1) & 1,
  exception_fp_ieee_div_zero: (k) => (k.descriptor.rsrc2.exceptionMask >> 2) & 1,
  exception_fp_ieee_overflow: (k) => (k.descriptor.rsrc2.exceptionMask >> 3) & 1,
  exception_fp_ieee_underflow: (k) => (k.descriptor.rsrc2.exceptionMask >> 4) & 1,
  exception_fp_ieee_inexact: (k) => (k.descriptor.rsrc2.exceptionMask >> 5) & 1,
  exception_int_div_zero: (k) => (k.descriptor.rsrc2.exceptionMask >> 6) & 1,
  user_sgpr_private_segment_buffer: (k) => +k.descriptor.properties.enableSgprPrivateSegmentBuffer,
  user_sgpr_dispatch_ptr: (k) => +k.descriptor.properties.enableSgprDispatchPtr,
  user_sgpr_queue_ptr: (k) => +k.descriptor.properties.enableSgprQueuePtr,
  user_sgpr_kernarg_segment_ptr: (k) => +k.descriptor.properties.enableSgprKernargSegmentPtr,
  user_sgpr_dispatch_id: (k) => +k.descriptor.properties.enableSgprDispatchId,
  user_sgpr_flat_scratch_init: (k) => +k.descriptor.properties.enableSgprFlatScratchInit,
  user_sgpr_private_segment_size: (k) => +k.descriptor.properties.enableSgprPrivateSegmentSize,
  uses_dynamic_stack: (k) => +k.descriptor.properties.usesDynamicStack,
};

test('gfx942 descriptors: every field llvm-objdump-19 disassembles matches our decoding', (t) => {
  if (!requireOracle(t, { commands: ['llvm-objdump-19'] })) return;
  let compared = 0;
  for (const file of coFiles.filter((f) => f.includes('.gfx942'))) {
    const co = loadCodeObject(read(file), { target: 'gfx942' });
    const dump = run('llvm-objdump-19', ['-D', '-j', '.rodata', join(KERNELS, file)]);
    for (const block of dump.split('.amdhsa_kernel ').slice(1)) {
      const name = block.slice(0, block.indexOf('\n')).trim();
      const k = co.kernel(name);
      for (const m of block.slice(0, block.indexOf('.end_amdhsa_kernel')).matchAll(/\.amdhsa_(\w+) (\d+)/g)) {
        const decode = DIRECTIVES[m[1]!];
        if (!decode) continue; // derived counts (next_free_sgpr, reserve_*) are not fields
        assert.equal(decode(k), Number(m[2]), `${file} ${name} .amdhsa_${m[1]}`);
        compared++;
      }
    }
  }
  assert.ok(compared > 500, `compared only ${compared} descriptor fields`);
});

test('descriptors: offsets of <kernel>.kd and raw .rodata bytes agree with llvm-readelf/llvm-objdump', (t) => {
  if (!requireOracle(t, { commands: ['llvm-readelf-19', 'llvm-objdump-19'] })) return;
  for (const file of ['lds_dynamic.gfx1100.co', 'scratch_spill.gfx1100.co', 'sgemm_tiled.gfx942.co']) {
    const co = loadCodeObject(read(file));
    const k = [...co.kernels.values()][0]!;
    const syms = run('llvm-readelf-19', ['-s', join(KERNELS, file)]);
    const symLine = syms.split('\n').find((l) => l.trim().endsWith(` ${k.name}.kd`))!;
    assert.equal(parseInt(symLine.trim().split(/\s+/)[1]!, 16), k.descriptorOffset, `${file}: .kd value`);
    const codeLine = syms.split('\n').find((l) => / FUNC /.test(l) && l.trim().endsWith(` ${k.name}`))!;
    assert.equal(parseInt(codeLine.trim().split(/\s+/)[1]!, 16), k.entryOffset, `${file}: entry = kd + entry offset`);
    // The 64 descriptor bytes from objdump's hex dump, read field by field at the header's offsets.
    const bytes = new Uint8Array(64);
    for (const line of run('llvm-objdump-19', ['-s', '-j', '.rodata', join(KERNELS, file)]).split('\n')) {
      const m = /^ ([0-9a-f]+) ((?:[0-9a-f]{2,8} ?){1,4})/.exec(line);
      if (!m) continue;
      const addr = parseInt(m[1]!, 16);
      const hex = m[2]!.replace(/ /g, '');
      for (let b = 0; b < hex.length / 2; b++) {
        const at = addr + b - k.descriptorOffset;
        if (at >= 0 && at < 64) bytes[at] = parseInt(hex.slice(2 * b, 2 * b + 2), 16);
      }
    }
    const dv = new DataView(bytes.buffer);
    assert.equal(k.descriptor.groupSegmentFixedSize, dv.getUint32(0, true));
    assert.equal(k.descriptor.privateSegmentFixedSize, dv.getUint32(4, true));
    assert.equal(k.descriptor.kernargSize, dv.getUint32(8, true));
    assert.equal(k.descriptor.kernelCodeEntryByteOffset, dv.getBigInt64(16, true));
    assert.equal(k.descriptor.computePgmRsrc3, dv.getUint32(44, true));
    assert.equal(k.descriptor.computePgmRsrc1, dv.getUint32(48, true));
    assert.equal(k.descriptor.computePgmRsrc2, dv.getUint32(52, true));
    assert.equal(k.descriptor.kernelCodeProperties, dv.getUint16(56, true));
    assert.equal(k.descriptor.kernargPreload, dv.getUint16(58, true));
  }
});

test('scratch_spill: private segment enabled with the metadata size; sgemm uses 2-D work-item ids', () => {
  for (const target of ['gfx1100', 'gfx942'] as const) {
    const s = loadCodeObject(read(`scratch_spill.${target}.co`)).kernel('scratch_spill');
    assert.equal(s.descriptor.privateSegmentFixedSize, 388);
    assert.equal(s.metadata.privateSegmentFixedSize, 388);
    assert.equal(s.descriptor.rsrc2.enablePrivateSegment, true);
    const g = loadCodeObject(read(`sgemm_tiled.${target}.co`)).kernel('sgemm_tiled');
    assert.equal(g.descriptor.rsrc2.enableVgprWorkitemId, 1, 'x and y work-item ids');
    assert.deepEqual(g.descriptor.rsrc2.enableSgprWorkgroupId, [true, true, false]);
    assert.equal(g.descriptor.groupSegmentFixedSize, 2 * 16 * 16 * 4);
  }
});

test('e_flags: processor, xnack/sramecc and ABI version agree with llvm-readelf-19 -h', (t) => {
  if (!requireOracle(t, { commands: ['llvm-readelf-19'] })) return;
  for (const file of ['vector_add.gfx1100.co', 'vector_add.gfx942.co', 'asm_trap.gfx942.co']) {
    const co = loadCodeObject(read(file));
    const h = run('llvm-readelf-19', ['-h', join(KERNELS, file)]);
    const flags = /Flags:\s+(0x[0-9A-Fa-f]+), (.*)/.exec(h)!;
    const abi = /ABI Version:\s+(\d+)/.exec(h)!;
    assert.equal(co.elf.header.flags, parseInt(flags[1]!, 16));
    const names = flags[2]!.split(', ');
    assert.equal(co.target.name, names[0]);
    assert.equal(co.abiVersion, Number(abi[1]));
    assert.equal(co.target.codeObjectVersion, 5);
    // readelf prints "xnack"/"sramecc" for the "any" setting, "xnack+"/"xnack-" for on/off.
    const feature = (f: string) => names.find((n) => n.startsWith(f));
    const show = (f: string, s: string) => (s === 'any' ? f : s === 'on' ? `${f}+` : s === 'off' ? `${f}-` : undefined);
    assert.equal(feature('xnack'), show('xnack', co.target.xnack));
    assert.equal(feature('sramecc'), show('sramecc', co.target.sramecc));
  }
  assert.equal(loadCodeObject(read('vector_add.gfx1100.co')).target.xnack, 'unsupported');
  assert.equal(loadCodeObject(read('vector_add.gfx942.co')).target.xnack, 'any');
});

test('checkTarget: wrong processor and xnack/sramecc clashes give clear errors', () => {
  const gfx942 = read('vector_add.gfx942.co');
  assert.throws(() => loadCodeObject(gfx942, { target: 'gfx1100' }), (e: Error) => {
    assert.ok(e instanceof TargetMismatchError);
    assert.equal(e.message, 'code object is for gfx942, but the device is gfx1100');
    return true;
  });
  assert.doesNotThrow(() => loadCodeObject(gfx942, { target: 'gfx942', xnack: true, sramecc: false }), '"any" runs everywhere');
  // Same object with e_flags rewritten to gfx942:sramecc+:xnack- (EF_AMDGPU_FEATURE_*_V4 = 0x200/0xc00).
  const strict = gfx942.slice();
  new DataView(strict.buffer).setUint32(48, 0x04c | 0x200 | 0xc00, true);
  const co = loadCodeObject(strict);
  assert.equal(co.target.targetId, 'gfx942:sramecc+:xnack-');
  assert.throws(() => checkTarget(co.target, 'gfx942', { xnack: true }), /requires xnack off, but the device runs with xnack on/);
  assert.throws(() => checkTarget(co.target, 'gfx942', { sramecc: false }), /requires sramecc on, but the device runs with sramecc off/);
  assert.doesNotThrow(() => checkTarget(co.target, 'gfx942', { xnack: false, sramecc: true }));
  // A v6 generic target (gfx11-generic, EF_AMDGPU_MACH 0x054, generic version 1, EI_ABIVERSION 4).
  const generic = decodeTarget({ osAbi: 64, abiVersion: 4, type: 3, machine: 224, entry: 0n, flags: 0x054 | (1 << 24) });
  assert.deepEqual([generic.name, generic.codeObjectVersion, generic.genericVersion, generic.isGeneric], ['gfx11-generic', 6, 1, true]);
  assert.doesNotThrow(() => checkTarget(generic, 'gfx1101'));
  assert.throws(() => checkTarget(generic, 'gfx942'), /gfx11-generic \(runs on gfx1100, .*\), but the device is gfx942/);
});

test('reloc_table: relocations equal llvm-readelf-19 -r and are applied for a load base', (t) => {
  if (!requireOracle(t, { commands: ['llvm-readelf-19'] })) return;
  for (const target of ['gfx1100', 'gfx942']) {
    const file = `reloc_table.${target}.co`;
    const co = loadCodeObject(read(file));
    const oracle = run('llvm-readelf-19', ['-r', join(KERNELS, file)])
      .split('\n')
      .map((l) => /^([0-9a-f]{16})\s+[0-9a-f]+\s+(R_AMDGPU_\w+)\s+([0-9a-f]+)\s*$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ offset: parseInt(m[1]!, 16), type: m[2]!, addend: BigInt(`0x${m[3]!}`) }));
    assert.equal(oracle.length, 2, 'two pointers in the table');
    assert.deepEqual(
      co.relocations.map((r) => ({ offset: r.offset, type: r.type, addend: r.addend })),
      oracle.map((o) => ({ offset: o.offset, type: R_AMDGPU[o.type.slice('R_AMDGPU_'.length) as keyof typeof R_AMDGPU], addend: o.addend })),
    );
    const symbols = new Map(co.elf.symbols('symtab').map((s) => [s.name, s.value]));
    assert.deepEqual(oracle.map((o) => o.addend), [BigInt(symbols.get('table_a')!), BigInt(symbols.get('table_b')!)]);
    const base = 0x7f12_3456_0000n;
    const image = co.relocate(base);
    const dv = new DataView(image.buffer);
    for (const o of oracle) assert.equal(dv.getBigUint64(o.offset, true), base + o.addend);
    assert.equal(new DataView(co.image.buffer).getBigUint64(oracle[0]!.offset, true), 0n, 'unrelocated image keeps zeros');
    // The tables themselves are loaded at their vaddr.
    assert.deepEqual([...new Uint32Array(image.buffer.slice(symbols.get('table_b')!, symbols.get('table_b')! + 16))], [10, 20, 30, 40]);
    assert.equal(dv.getUint32(symbols.get('counter')!, true), 1000);
    assert.ok(co.imageSize >= symbols.get('counter')! + 4);
    const k = co.kernel('reloc_table');
    assert.equal(k.descriptorAddress(base), base + BigInt(symbols.get('reloc_table.kd')!));
    assert.equal(k.entryAddress(base), base + BigInt(symbols.get('reloc_table')!));
  }
});

function syntheticBundle(entries: { id: string; bytes: Uint8Array }[]): Uint8Array {
  // Layout per clang "Clang Offload Bundler" docs: magic, u64 count, then per entry
  // u64 offset, u64 size, u64 id length, id bytes; entry contents follow.
  const enc = new TextEncoder();
  const headerSize = 24 + 8 + entries.reduce((n, e) => n + 24 + e.id.length, 0);
  const total = headerSize + entries.reduce((n, e) => n + e.bytes.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(enc.encode('__CLANG_OFFLOAD_BUNDLE__'));
  dv.setBigUint64(24, BigInt(entries.length), true);
  let at = 32;
  let data = headerSize;
  for (const e of entries) {
    dv.setBigUint64(at, BigInt(data), true);
    dv.setBigUint64(at + 8, BigInt(e.bytes.length), true);
    dv.setBigUint64(at + 16, BigInt(e.id.length), true);
    out.set(enc.encode(e.id), at + 24);
    at += 24 + e.id.length;
    out.set(e.bytes, data);
    data += e.bytes.length;
  }
  return out;
}

test('offload bundle: synthesized per the documented layout, entry picked by processor', () => {
  const a = read('vector_add.gfx1100.co');
  const b = read('vector_add.gfx942.co');
  const bundle = syntheticBundle([
    { id: 'host-x86_64-unknown-linux-gnu-', bytes: new Uint8Array(0) },
    { id: 'hipv4-amdgcn-amd-amdhsa--gfx1100', bytes: a },
    { id: 'hipv4-amdgcn-amd-amdhsa--gfx942:xnack+', bytes: b },
  ]);
  const entries = parseOffloadBundle(bundle);
  assert.deepEqual(entries.map((e) => [e.kind, e.triple, e.targetId, e.size]), [
    ['host', 'x86_64-unknown-linux-gnu', '', 0],
    ['hipv4', 'amdgcn-amd-amdhsa-', 'gfx1100', a.length],
    ['hipv4', 'amdgcn-amd-amdhsa-', 'gfx942:xnack+', b.length],
  ]);
  assert.deepEqual(selectBundleEntry(entries, 'gfx1100').bytes, a);
  assert.throws(() => selectBundleEntry(entries, 'gfx942', { xnack: false }), /no code object for gfx942/);
  assert.equal(loadCodeObject(bundle, { target: 'gfx1100' }).target.name, 'gfx1100');
  const compressed = new Uint8Array([...new TextEncoder().encode('CCOB'), 1, 0, 0, 0]);
  assert.throws(() => parseOffloadBundle(compressed), (e: Error) => e instanceof BundleError && /unsupported: compressed bundle/.test(e.message));
});

test('offload bundle made by clang-offload-bundler-19', (t) => {
  if (!requireOracle(t, { commands: ['clang-offload-bundler-19'] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  try {
    writeFileSync(join(dir, 'host.o'), new Uint8Array(0));
    const out = join(dir, 'fat.hipfb');
    run('clang-offload-bundler-19', [
      '-type=o',
      '-targets=host-x86_64-unknown-linux-gnu,hipv4-amdgcn-amd-amdhsa--gfx1100,hipv4-amdgcn-amd-amdhsa--gfx942',
      `-input=${join(dir, 'host.o')}`,
      `-input=${join(KERNELS, 'saxpy.gfx1100.co')}`,
      `-input=${join(KERNELS, 'saxpy.gfx942.co')}`,
      `-output=${out}`,
    ]);
    const bundle = new Uint8Array(readFileSync(out));
    const ids = parseOffloadBundle(bundle).map((e) => e.id).sort();
    assert.deepEqual(ids, ['hipv4-amdgcn-amd-amdhsa--gfx1100', 'hipv4-amdgcn-amd-amdhsa--gfx942', 'host-x86_64-unknown-linux-gnu-']);
    for (const target of ['gfx1100', 'gfx942']) {
      const co = loadCodeObject(bundle, { target });
      assert.deepEqual(co.elf.bytes, read(`saxpy.${target}.co`));
      assert.equal(co.kernel('saxpy').metadata.wavefrontSize, target === 'gfx1100' ? 32 : 64);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed input: clear errors, no crashes', () => {
  assert.throws(() => loadCodeObject(new Uint8Array(10)), /not an ELF file/);
  const truncated = read('empty.gfx1100.co').slice(0, 200);
  assert.throws(() => loadCodeObject(truncated), /outside the 200-byte file/);
  assert.throws(() => loadCodeObject(read('empty.gfx1100.co')).kernel('nope'), /no kernel "nope" .*has: empty/);
});
