// `amdgpu-ts regs`: registers by name through the mapped register BAR, umr-style.
//   regs list [PATTERN]          the database for this GPU's IP versions (GC, SDMA0, NBIO), with BAR offsets
//   regs read BLOCK.REGISTER     one 32-bit read, fields decoded (--instance N for SDMA engine N)
//   regs watch BLOCK.REGISTER    repeated reads at --rate Hz (--count N, default until interrupted)
//   regs write BLOCK.REGISTER V  only with --write, only registers marked safe (scratch)
import type { Host } from '../os/host.js';
import { OsError } from '../os/errors.js';
import { listAmdFunctions, registerBarIndex, type PciFunction } from '../pci/devices.js';
import { RegisterAperture, RegisterError, describeTables, findRegister, formatRegister, listRegisters, registerTablesFor, resolveRegister } from '../pci/registers.js';
import { decodeFields } from '../hw/regs/index.js';
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import { table } from './table.js';
import type { CommandIo } from './io.js';
import { EXIT_STATUS_HELP } from './report-error.js';
import { bareMetalHost, readIpDiscovery, NeedsRootError } from './pci.js';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'device', value: 'D', help: "native (default: this machine's GPU) or emu:<model>" },
  { name: 'gpu', value: 'SLOT', help: 'the PCI function (e.g. 0000:03:00.0) when there are several; default the first' },
  { name: 'instance', value: 'N', help: 'read/watch/write: instance N of the block (SDMA engine N; default 0)' },
  { name: 'rate', value: 'HZ', help: 'watch: reads per second (default 10)' },
  { name: 'count', value: 'N', help: 'watch: stop after N reads' },
  { name: 'write', help: 'write: map the BAR writable (still only registers marked safe)' },
  { name: 'json', help: 'print JSON' },
  { name: 'help', help: 'show this help' },
];

export const REGS_HELP = `usage: amdgpu-ts regs list [PATTERN] | read BLOCK.REG | watch BLOCK.REG [--rate HZ] [--count N]
                     | write BLOCK.REG VALUE --write      [--device D] [--gpu SLOT] [--json]

Registers by name: offsets and fields from the kernel's asic_reg headers (generated tables for GC
11.0.0, 9.4.3, 9.4.2; SDMA 6.0.0, 4.4.2, 4.4.0; NBIO 4.3.0, 7.9.0), chosen by the versions and based at the
segment bases of the GPU's IP discovery table; 32-bit accesses through the mapped register BAR (resource5).
BLOCK is GC, SDMA0 or NBIO; a bare REGISTER works when one block has it. Read-only unless --write; writes only to registers marked safe (scratch).
On a real machine the BAR and the discovery table need root.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}`;

interface Target {
  readonly host: Host;
  readonly fn: PciFunction;
}

function pickGpu(host: Host, slot: string | undefined): PciFunction {
  const fns = listAmdFunctions(host, { displayOnly: true });
  if (!fns.length) throw new RegisterError('runtime', 'no AMD GPU PCI function found in sysfs');
  if (!slot) return fns[0]!;
  const f = fns.find((x) => x.slot === slot || x.slot.endsWith(slot));
  if (!f) throw new UsageError(`--gpu ${slot}: no such GPU function (have ${fns.map((x) => x.slot).join(', ')})`);
  return f;
}

function openAperture(t: Target, writable: boolean): RegisterAperture {
  try {
    return new RegisterAperture(t.host, t.fn, registerBarIndex(''), writable);
  } catch (e) {
    if (e instanceof OsError && !t.host.description.emulated && (e.errno === 13 || e.errno === 1)) throw new NeedsRootError(`${e.message}: mapping the register BAR needs root (sudo)`);
    throw e;
  }
}

export async function runRegs(argv: readonly string[], io: CommandIo): Promise<number> {
  const args = parseArgs(argv, OPTIONS);
  if (args.flags.has('help')) {
    io.out(REGS_HELP);
    return 0;
  }
  const [verb, spec, value, ...extra] = args.positionals;
  if (!verb || !['list', 'read', 'watch', 'write'].includes(verb)) throw new UsageError(`expected list, read, watch or write${verb ? `, not "${verb}"` : ''}`);
  if (extra.length || (verb === 'write' ? value === undefined : value !== undefined && verb !== 'list')) throw new UsageError(`regs ${verb}: wrong number of arguments`);
  if ((verb === 'read' || verb === 'watch' || verb === 'write') && !spec) throw new UsageError(`regs ${verb} needs BLOCK.REGISTER`);
  const rate = Number(args.values.get('rate')?.[0] ?? '10');
  const instance = Number(args.values.get('instance')?.[0] ?? '0');
  if (!Number.isInteger(instance) || instance < 0 || instance > 63) throw new UsageError(`--instance ${args.values.get('instance')?.[0]}: want an instance number 0..63`);
  const count = args.values.has('count') ? Number(args.values.get('count')![0]) : Infinity;
  if (!(rate > 0 && rate <= 10000)) throw new UsageError(`--rate ${args.values.get('rate')?.[0]}: want a number of reads per second in (0, 10000]`);
  if (!(count > 0)) throw new UsageError(`--count ${args.values.get('count')?.[0]}: want a positive number`);
  let writeValue = 0;
  if (verb === 'write') {
    writeValue = Number(value);
    if (!Number.isInteger(writeValue) || writeValue < 0 || writeValue > 0xffffffff) throw new UsageError(`write value "${value}": want a 32-bit number (decimal or 0x…)`);
    if (!args.flags.has('write')) throw new UsageError('regs write changes the GPU: add --write to say so');
  }
  const host = bareMetalHost(args.values.get('device')?.[0]);
  try {
    const fn = pickGpu(host, args.values.get('gpu')?.[0]);
    const report = readIpDiscovery(host).find((r) => r.slot === fn.slot);
    if (!report) throw new RegisterError('runtime', `${fn.slot}: no IP discovery table`);
    const tables = registerTablesFor(report.discovery);
    const json = args.flags.has('json');
    if (verb === 'list') {
      const rows = listRegisters(tables, spec).map(({ table, def }) => ({ r: resolveRegister(report.discovery, table, def), d: def }));
      if (json) io.out(JSON.stringify({ slot: fn.slot, blocks: tables.map((t) => ({ block: t.block, version: t.version, source: t.source })), registers: rows.map(({ r, d }) => ({ name: `${r.block}.${d.name}`, byteOffset: r.byteOffset, writeSafe: d.writeSafe, fields: d.fields })) }, null, 2));
      else io.out([`${fn.slot}: ${describeTables(tables)}`, table(['register', 'BAR offset', 'fields', 'write'], rows.map(({ r, d }) => [`${r.block}.${d.name}`, `0x${r.byteOffset.toString(16)}`, String(d.fields.length), d.writeSafe ? 'safe' : '-']))].join('\n'));
      return 0;
    }
    const found = findRegister(tables, spec!);
    const r = resolveRegister(report.discovery, found.table, found.def, instance);
    const ap = openAperture({ host, fn }, verb === 'write');
    try {
      const show = (v: number): void => {
        if (json) io.out(JSON.stringify({ register: `${r.block}.${r.def.name}`, instance: r.instance, byteOffset: r.byteOffset, value: v, fields: Object.fromEntries(decodeFields(r.def, v).map((f) => [f.name, f.value])) }));
        else io.out(formatRegister(r, v).join('\n'));
      };
      if (verb === 'write') {
        ap.write(r, writeValue);
        show(ap.read(r));
        return 0;
      }
      if (verb === 'read') {
        show(ap.read(r));
        return 0;
      }
      const period = 1000 / rate;
      for (let i = 0; i < count; i++) {
        if (i) await new Promise((res) => setTimeout(res, period));
        const v = ap.read(r);
        if (json) show(v);
        else io.out(`${(i * period / 1000).toFixed(3).padStart(8)} s  0x${v.toString(16).padStart(8, '0')}  ${decodeFields(r.def, v).filter((f) => f.value).map((f) => `${f.name}=${f.value}`).join(' ')}`);
      }
      return 0;
    } finally {
      ap.close();
    }
  } finally {
    await host.shutdown();
  }
}
