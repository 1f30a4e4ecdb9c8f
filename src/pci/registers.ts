// Registers by name through the mapped register BAR: the generated database (src/hw/regs) gives a
// register's dword offset from an IP segment base, the GPU's IP discovery table gives that base, and
// the Host maps the BAR's resource file. 32-bit accesses only; read-only unless a write is asked for
// explicitly, and then only to registers the database marks safe (scratch registers).
import { O_RDONLY, O_RDWR, O_CLOEXEC, PROT_READ, PROT_WRITE, MAP_SHARED, type Host, type Mapping, type Mmio } from '../os/host.js';
import { REGISTER_TABLES, decodeFields, type RegisterDef, type RegisterTable } from '../hw/regs/index.js';
import { AmdgpuError } from '../errors.js';
import type { IpDiscovery } from './ip-discovery.js';
import type { PciFunction } from './devices.js';

export class RegisterError extends AmdgpuError {
  constructor(kind: 'input' | 'runtime', message: string) {
    super(kind, message);
    this.name = 'RegisterError';
  }
}

export interface ResolvedRegister {
  readonly block: string;
  readonly def: RegisterDef;
  /** Byte offset in the register BAR. */
  readonly byteOffset: number;
}

/** The table for a GPU, from the GC version its discovery table reports. */
export function registerTableFor(d: IpDiscovery): { table: RegisterTable; gcVersion: string } {
  const gc = d.ips.find((ip) => ip.name === 'GC' && ip.instance === 0);
  if (!gc) throw new RegisterError('runtime', 'the IP discovery table has no GC block');
  const gcVersion = `${gc.major}.${gc.minor}.${gc.revision}`;
  const table = REGISTER_TABLES.get(gcVersion);
  if (!table) throw new RegisterError('runtime', `no register database for GC ${gcVersion} (have ${[...REGISTER_TABLES.keys()].join(', ')})`);
  return { table, gcVersion };
}

export function resolveRegister(d: IpDiscovery, table: RegisterTable, def: RegisterDef, instance = 0): ResolvedRegister {
  const ip = d.ips.find((x) => x.name === table.block && x.instance === instance);
  const base = ip?.bases[def.baseIndex];
  if (base === undefined) throw new RegisterError('runtime', `${table.block} instance ${instance} has no segment ${def.baseIndex} in the IP discovery table`);
  return { block: table.block, def, byteOffset: Number((base + BigInt(def.offset)) * 4n) };
}

/** `GC.GRBM_STATUS` or `GRBM_STATUS`; case-insensitive. */
export function findRegister(table: RegisterTable, spec: string): RegisterDef {
  const [blk, name] = spec.includes('.') ? spec.split('.', 2) as [string, string] : [table.block, spec];
  if (blk.toUpperCase() !== table.block) throw new RegisterError('input', `unknown block "${blk}" (this GPU's database covers ${table.block})`);
  const def = table.registers.find((r) => r.name === name.toUpperCase());
  if (!def) throw new RegisterError('input', `unknown register "${spec}" (try: amdgpu-ts regs list ${name.slice(0, 4).toUpperCase()})`);
  return def;
}

export function listRegisters(table: RegisterTable, pattern: string | undefined): RegisterDef[] {
  const re = pattern ? new RegExp(pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'), 'i') : undefined;
  return table.registers.filter((r) => !re || re.test(`${table.block}.${r.name}`));
}

/** The register BAR of a function, mapped through the Host. */
export class RegisterAperture {
  private readonly fd: number;
  private readonly mapping: Mapping;
  readonly mmio: Mmio;

  constructor(private readonly host: Host, fn: PciFunction, barIndex: number, readonly writable: boolean) {
    const bar = fn.bars.find((b) => b.index === barIndex);
    if (!bar) throw new RegisterError('runtime', `${fn.slot} has no BAR ${barIndex} (the register BAR)`);
    const path = `${fn.path}/resource${barIndex}`;
    this.fd = host.open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    try {
      this.mapping = host.mmap(0n, Number(bar.size), PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, this.fd, 0n);
    } catch (e) {
      host.close(this.fd);
      throw e;
    }
    this.mmio = host.mmio(this.mapping);
  }

  get size(): number {
    return this.mapping.length;
  }

  read(r: ResolvedRegister): number {
    this.check(r);
    return this.mmio.load32(r.byteOffset) >>> 0;
  }

  write(r: ResolvedRegister, value: number): void {
    this.check(r);
    if (!this.writable) throw new RegisterError('input', `${r.block}.${r.def.name}: the register BAR is mapped read-only (writes need --write)`);
    if (!r.def.writeSafe) throw new RegisterError('input', `${r.block}.${r.def.name} is not marked safe to write (only scratch registers are)`);
    this.mmio.store32(r.byteOffset, value >>> 0);
  }

  private check(r: ResolvedRegister): void {
    if (r.byteOffset + 4 > this.mapping.length) throw new RegisterError('runtime', `${r.block}.${r.def.name} at byte 0x${r.byteOffset.toString(16)} lies outside the ${this.mapping.length}-byte register BAR`);
  }

  close(): void {
    this.host.munmap(this.mapping.address, this.mapping.length);
    this.host.close(this.fd);
  }
}

export function formatRegister(r: ResolvedRegister, value: number): string[] {
  const lines = [`${r.block}.${r.def.name} (0x${r.byteOffset.toString(16)}) = 0x${value.toString(16).padStart(8, '0')}`];
  for (const f of decodeFields(r.def, value)) lines.push(`  ${f.name.padEnd(28)} ${f.value} (0x${f.value.toString(16)})`);
  return lines;
}
