// GPU virtual addresses of a render file's VM (amdgpu_gem_va_ioctl in amdgpu_gem.c, amdgpu_vm_bo_map /
// _unmap / _clear_mappings / _replace_map in amdgpu_vm.c). Mappings change in the file's bookkeeping at
// once; the GPU page tables change after the work already submitted finished, as the kernel fences its
// page-table updates behind the VM's in-flight work.
import * as drm from '../../uapi/drm.js';
import { fail } from '../kfd/errors.js';
import type { DrmState } from './kernel.js';
import type { DrmFile, GemObject, VaMapping } from './state.js';
import { AMDGPU_GMC_HOLE_END, AMDGPU_GMC_HOLE_MASK, AMDGPU_GMC_HOLE_START, AMDGPU_VA_RESERVED_BOTTOM, AMDGPU_VA_RESERVED_TOP, VM_SIZE } from './rings.js';

const P = drm.AMDGPU_VM_PAGE;
const OP = drm.AMDGPU_VA_OP;
const U64 = (1n << 64n) - 1n;
/** AMDGPU_GPU_PAGE_SIZE - 1. */
const GPU_PAGE_MASK = 0xfffn;
/** max_pfn of a 48-bit VM. */
const MAX_PFN = VM_SIZE >> 12n;

function engineMap(f: DrmFile, m: VaMapping): void {
  f.gpu.share(m.obj.backing);
  f.gpu.link.call({
    op: 'map',
    start: m.start,
    size: Number(m.end - m.start),
    backingId: m.obj.backing.id,
    offset: m.obj.backingOffset + Number(m.offset),
    writable: (m.flags & P.WRITEABLE) !== 0,
    executable: (m.flags & P.EXECUTABLE) !== 0,
    label: `GEM object ${m.obj.id}`,
  });
}

/** The old mapping leaves the GPU's page tables (and `keep`, its surviving parts, stay) after in-flight work. */
function retire(d: DrmState, f: DrmFile, old: VaMapping, keep: readonly VaMapping[]): void {
  const run = (): void => {
    f.gpu.link.call({ op: 'unmap', start: old.start });
    for (const k of keep) engineMap(f, k);
  };
  const dev = d.startedDevices.find((x) => x.gpu === f.gpu);
  if (dev) dev.afterInFlight(run, [old.start, old.end]);
  else run();
}

/** amdgpu_vm_bo_del: every mapping of `obj` in the file's VM goes (its last handle here closed). */
export function removeMappingsOf(d: DrmState, f: DrmFile, obj: GemObject): void {
  const gone = f.mappings.filter((m) => m.obj === obj);
  f.mappings = f.mappings.filter((m) => m.obj !== obj);
  for (const m of gone) retire(d, f, m, []);
}

/** amdgpu_vm_fini: the file's VM goes with it. */
export function removeAllMappings(d: DrmState, f: DrmFile): void {
  const gone = f.mappings;
  f.mappings = [];
  for (const m of gone) retire(d, f, m, []);
}

/** amdgpu_vm_verify_parameters: GPU-page alignment, no empty or wrapping range, inside the BO and the VM. */
function verify(obj: GemObject | undefined, saddr: bigint, offset: bigint, size: bigint, where: string): void {
  if ((saddr | offset | size) & GPU_PAGE_MASK) fail('EINVAL', where, `va 0x${saddr.toString(16)}, offset 0x${offset.toString(16)} and size 0x${size.toString(16)} must be multiples of the 4 KiB GPU page`);
  if (size === 0n || saddr + size > U64 || offset + size > U64) fail('EINVAL', where, `size 0x${size.toString(16)} is empty or wraps`);
  if (obj && offset + size > BigInt(obj.size)) fail('EINVAL', where, `offset 0x${offset.toString(16)} + size 0x${size.toString(16)} is past the ${obj.size}-byte BO`);
  if ((saddr + size - 1n) >> 12n >= MAX_PFN) fail('EINVAL', where, `the range ends past the VM's last page`);
}

/** Everything mapped in the GPU VM that `f` shares with this process's other users of the GPU. */
function mappedRanges(d: DrmState, f: DrmFile): [bigint, bigint, string][] {
  const out: [bigint, bigint, string][] = [];
  for (const other of d.files) if (other.gpu === f.gpu) for (const m of other.mappings) out.push([m.start, m.end, `GEM object ${m.obj.id}`]);
  for (const bo of d.k.bos.values()) if (bo.mappedOn.has(f.gpu)) out.push([bo.va, bo.va + BigInt(bo.size), `KFD BO 0x${bo.handle.toString(16)}`]);
  return out;
}

function insert(d: DrmState, f: DrmFile, m: VaMapping, where: string): void {
  // amdgpu_vm_it_iter_first: any mapping in the range is a conflict. The emulated GPU has one VM per GPU
  // for the process, so KFD's mappings and other render files' share the check.
  const clash = mappedRanges(d, f).find(([s, e]) => s < m.end && m.start < e);
  if (clash) fail('EINVAL', where, `va 0x${m.start.toString(16)}-0x${m.end.toString(16)} conflicts with ${clash[2]} at 0x${clash[0].toString(16)}-0x${clash[1].toString(16)}`);
  d.startedDevices.find((x) => x.gpu === f.gpu)?.flushUnmaps(m.start, m.end);
  f.mappings.push(m);
  f.mappings.sort((a, b) => (a.start < b.start ? -1 : 1));
  engineMap(f, m);
}

/** amdgpu_vm_bo_clear_mappings: everything in [start, end) goes; mappings straddling an end are cut. */
function clearRange(d: DrmState, f: DrmFile, start: bigint, end: bigint): void {
  const hit = f.mappings.filter((m) => m.start < end && start < m.end);
  f.mappings = f.mappings.filter((m) => !hit.includes(m));
  for (const m of hit) {
    const keep: VaMapping[] = [];
    if (m.start < start) keep.push({ ...m, end: start });
    if (m.end > end) keep.push({ ...m, start: end, offset: m.offset + (end - m.start) });
    f.mappings.push(...keep);
    retire(d, f, m, keep);
  }
  f.mappings.sort((a, b) => (a.start < b.start ? -1 : 1));
}

export function gemVa(d: DrmState, f: DrmFile, arg: Uint8Array): void {
  const where = 'amdgpu_gem_va_ioctl';
  const a = drm.gemVaArgs.decode(arg);
  const valid = drm.AMDGPU_VM_DELAY_UPDATE | P.READABLE | P.WRITEABLE | P.EXECUTABLE | drm.AMDGPU_VM_MTYPE.MASK | P.NOALLOC;
  const prt = drm.AMDGPU_VM_DELAY_UPDATE | P.PRT;
  if (a.va_address < AMDGPU_VA_RESERVED_BOTTOM) fail('EINVAL', where, `va_address 0x${a.va_address.toString(16)} is in the reserved area below 0x${AMDGPU_VA_RESERVED_BOTTOM.toString(16)}`);
  if (a.va_address >= AMDGPU_GMC_HOLE_START && a.va_address < AMDGPU_GMC_HOLE_END) fail('EINVAL', where, `va_address 0x${a.va_address.toString(16)} is in the VA hole`);
  const va = a.va_address & AMDGPU_GMC_HOLE_MASK;
  const top = VM_SIZE - AMDGPU_VA_RESERVED_TOP;
  if (BigInt.asUintN(64, va + a.map_size) > top) fail('EINVAL', where, `va_address + map_size 0x${(va + a.map_size).toString(16)} reaches the reserved top 0x${top.toString(16)}`);
  if (a.flags & ~valid && a.flags & ~prt) fail('EINVAL', where, `invalid flags combination 0x${a.flags.toString(16)}`);
  if (a.operation < OP.MAP || a.operation > OP.REPLACE) fail('EINVAL', where, `unsupported operation ${a.operation}`);
  let obj: GemObject | undefined;
  if (a.operation !== OP.CLEAR && !(a.flags & P.PRT)) obj = f.gem(a.handle, where);
  else if (a.operation !== OP.CLEAR) fail('EOPNOTSUPP', where, 'PRT (partially resident) mappings are not emulated');
  const mapping = (): VaMapping => ({ start: va, end: va + a.map_size, obj: obj!, offset: a.offset_in_bo, flags: a.flags });
  switch (a.operation) {
    case OP.MAP:
      verify(obj, va, a.offset_in_bo, a.map_size, 'amdgpu_vm_bo_map');
      return insert(d, f, mapping(), 'amdgpu_vm_bo_map');
    case OP.UNMAP: {
      const m = f.mappings.find((x) => x.obj === obj && x.start === va);
      if (!m) fail('ENOENT', 'amdgpu_vm_bo_unmap', `GEM object ${obj!.id} has no mapping starting at 0x${va.toString(16)}`);
      f.mappings = f.mappings.filter((x) => x !== m);
      return retire(d, f, m, []);
    }
    case OP.CLEAR:
      verify(undefined, va, 0n, a.map_size, 'amdgpu_vm_bo_clear_mappings');
      return clearRange(d, f, va, va + a.map_size);
    case OP.REPLACE:
      verify(obj, va, a.offset_in_bo, a.map_size, 'amdgpu_vm_bo_replace_map');
      clearRange(d, f, va, va + a.map_size);
      return insert(d, f, mapping(), 'amdgpu_vm_bo_replace_map');
  }
}
