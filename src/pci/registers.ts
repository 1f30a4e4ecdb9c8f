// Registers by name through the mapped register BAR: the generated database (src/hw/regs) gives a
// register's dword offset from an IP segment base, the GPU's IP discovery table gives that base, and
// the Host maps the BAR's resource file. 32-bit accesses only; read-only unless a write is asked for
// explicitly, and then only to registers the database marks safe (scratch registers).
import { O_RDONLY, O_RDWR, O_CLOEXEC, PROT_READ, PROT_WRITE, MAP_SHARED, type Host, type Mapping, type Mmio } from '../os/host.js';
import { REGISTER_TABLES, decodeFields, type RegisterDef, type RegisterTable } from '../hw/regs/index.js';

export type { RegisterTable } from '../hw/regs/index.js';
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
  readonly instance: number;
  readonly def: RegisterDef;
  /** Byte offset in the register BAR. */
  readonly byteOffset: number;
}

/** The database tables for a GPU: one per IP block whose discovered version has a table. */
export function registerTablesFor(d: IpDiscovery): RegisterTable[] {
  const tables: RegisterTable[] = [];
  for (const t of REGISTER_TABLES) {
    const ip = d.ips.find((x) => x.name === t.discoveryName && x.instance === 0);
    if (ip && `${ip.major}.${ip.minor}.${ip.revision}` === t.version) tables.push(t);
  }
  if (!tables.length) {
    const gc = d.ips.find((ip) => ip.name === 'GC' && ip.instance === 0);
    const have = [...new Set(REGISTER_TABLES.map((t) => `${t.discoveryName} ${t.version}`))].join(', ');
    throw new RegisterError('runtime', gc ? `no register database for GC ${gc.major}.${gc.minor}.${gc.revision} (have ${have})` : 'the IP discovery table has no GC block');
  }
  return tables;
}

/** The discovered versions behind a set of tables, e.g. "GC 11.0.0, SDMA0 6.0.0, NBIO 4.3.0". */
export function describeTables(tables: readonly RegisterTable[]): string {
  return tables.map((t) => `${t.block} ${t.version}`).join(', ');
}

/**
 * Instance `i` of a table's block: discovery lists it either as instance i of the block (gfx9's SDMA0
 * instances) or as a block of its own whose name ends in i (gfx11's SDMA0 and SDMA1 hardware ids).
 */
function hasInstance(d: IpDiscovery, table: RegisterTable, i: number): boolean {
  const numbered = table.discoveryName.replace(/\d+$/, String(i));
  return d.ips.some((x) => (x.name === table.discoveryName && x.instance === i) || (x.name === numbered && x.instance === 0));
}

export function resolveRegister(d: IpDiscovery, table: RegisterTable, def: RegisterDef, instance = 0): ResolvedRegister {
  if (!hasInstance(d, table, instance)) throw new RegisterError('input', `${table.block} has no instance ${instance} in the IP discovery table`);
  // instances sharing one segment sit a fixed stride apart from instance 0's base; others have their own bases
  const shared = table.instanceStride !== undefined;
  const baseInstance = shared ? 0 : instance;
  const base = d.ips.find((x) => x.name === table.baseBlock && x.instance === baseInstance)?.bases[def.baseIndex];
  if (base === undefined) throw new RegisterError('runtime', `${table.baseBlock} instance ${baseInstance} has no segment ${def.baseIndex} in the IP discovery table`);
  const dword = base + BigInt(def.offset + (table.instanceStride ?? 0) * (shared ? instance : 0));
  return { block: table.block, instance, def, byteOffset: Number(dword * 4n) };
}

/** `SDMA0.SDMA_STATUS_REG`, or a bare name when exactly one table has it; case-insensitive. */
export function findRegister(tables: readonly RegisterTable[], spec: string): { table: RegisterTable; def: RegisterDef } {
  const [blk, name] = spec.includes('.') ? spec.split('.', 2) as [string | undefined, string] : [undefined, spec];
  const candidates = blk === undefined ? tables : tables.filter((t) => t.block === blk.toUpperCase());
  if (!candidates.length) throw new RegisterError('input', `unknown block "${blk}" (this GPU's database covers ${tables.map((t) => t.block).join(', ')})`);
  const hits = candidates.flatMap((table) => table.registers.filter((r) => r.name === name.toUpperCase()).map((def) => ({ table, def })));
  if (hits.length > 1) throw new RegisterError('input', `"${spec}" is in ${hits.map((h) => h.table.block).join(' and ')}: name the block (BLOCK.REGISTER)`);
  if (!hits[0]) throw new RegisterError('input', `unknown register "${spec}" (try: amdgpu-ts regs list '${name.slice(0, 4).toUpperCase()}*')`);
  return hits[0];
}

export function listRegisters(tables: readonly RegisterTable[], pattern: string | undefined): { table: RegisterTable; def: RegisterDef }[] {
  const re = pattern ? new RegExp(pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'), 'i') : undefined;
  return tables.flatMap((table) => table.registers.filter((r) => !re || re.test(`${table.block}.${r.name}`)).map((def) => ({ table, def })));
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
  const lines = [`${r.block}${r.instance ? `[${r.instance}]` : ''}.${r.def.name} (0x${r.byteOffset.toString(16)}) = 0x${value.toString(16).padStart(8, '0')}`];
  for (const f of decodeFields(r.def, value)) lines.push(`  ${f.name.padEnd(28)} ${f.value} (0x${f.value.toString(16)})`);
  return lines;
}
