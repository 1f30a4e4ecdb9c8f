// The ABI as src/uapi declares it, listed for the oracles: every exported struct layout of kfd.ts,
// drm.ts and hsa.ts, every ioctl of KFD_IOC / DRM_IOC and the constant tables, each with the C names
// they correspond to and the KFD version that introduced them.
import { StructLayout, type FieldSpec } from '../../src/uapi/codec.js';
import * as kfd from '../../src/uapi/kfd.js';
import * as drm from '../../src/uapi/drm.js';
import * as hsa from '../../src/uapi/hsa.js';
import type { ProbeResult, ProbeSpec, StructProbe, ValueProbe } from './c-probe.js';
import { sameConst } from './c-probe.js';

export type AbiModule = 'kfd' | 'drm' | 'hsa';
type Layout = StructLayout<readonly FieldSpec[]>;

export interface TsStruct {
  readonly module: AbiModule;
  readonly layout: Layout;
  /** Name in the oracle output (the layout name, or a C alias of it). */
  readonly key: string;
  /** KFD minor version that introduced it (0: in every supported version). */
  readonly since: number;
  /** Declared only for KFD versions before this one (the 88-byte create_queue args). */
  readonly until?: number;
  /** TS field → C member designator, where they differ (anonymous unions). */
  readonly members: Readonly<Record<string, string>>;
  /** Fields newer than the installed libdrm: compared against the golden file only. */
  readonly newerThanInstalled?: readonly string[];
  /** Deliberately an older, shorter form of a struct that newer headers extend (why). */
  readonly olderPrefix?: string;
}

export interface TsValue {
  readonly module: AbiModule;
  readonly name: string;
  readonly value: number;
  readonly since: number;
  /** Only before this KFD minor version (the 88-byte CREATE_QUEUE request). */
  readonly until?: number;
  /** Its argument struct is an older prefix of the newest one: the size bits of the request may differ. */
  readonly olderPrefix?: boolean;
  /** Enumerators cannot be tested with #ifdef: they are gated by the KFD version instead. */
  readonly enumerator: boolean;
}

// Structs that appeared after KFD 1.11 without being an ioctl's argument (kfd_ioctl.h history).
const KFD_STRUCT_SINCE: Readonly<Record<string, number>> = {
  kfd_hsa_signal_event_data: 14,
  kfd_runtime_info: 13,
  kfd_context_save_area_header: 13,
  'kfd_context_save_area_header.wave_state': 13,
  kfd_ioctl_dbg_trap_enable_args: 13,
  kfd_ioctl_dbg_trap_suspend_queues_args: 13,
  kfd_ioctl_dbg_trap_query_exception_info_args: 13,
};

// TS fields standing for an anonymous union: the union member they are measured as.
const MEMBERS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  kfd_event_data: { payload: 'memory_exception_data' },
  kfd_ioctl_dbg_trap_args: { data: 'enable' },
};

function layoutsOf(mod: Record<string, unknown>): Layout[] {
  return Object.values(mod).filter((v): v is Layout => v instanceof StructLayout);
}

export function tsStructs(): TsStruct[] {
  const out: TsStruct[] = [];
  const ioctlSince = new Map<Layout, number>();
  for (const d of Object.values(kfd.KFD_IOC)) ioctlSince.set(d.args as Layout, d.since);
  for (const layout of layoutsOf(kfd)) {
    const pre117 = layout === (kfd.createQueueArgsPre117 as Layout);
    out.push({
      module: 'kfd',
      layout,
      key: layout.name,
      since: pre117 ? 0 : (ioctlSince.get(layout) || KFD_STRUCT_SINCE[layout.name]) ?? 0,
      ...(pre117 ? { until: 17 } : {}),
      members: MEMBERS[layout.name] ?? {},
    });
  }
  for (const layout of layoutsOf(drm)) {
    const newerFields = layout === (drm.infoDevice as Layout) ? drm.INFO_DEVICE_FIELDS_SINCE_6_2 : layout === (drm.infoHwIp as Layout) ? ['ip_discovery_version'] : undefined;
    const newer = newerFields ? { newerThanInstalled: newerFields } : {};
    const olderForm = layout === (drm.drmSyncobjWaitArgs as Layout) || layout === (drm.drmSyncobjTimelineWait as Layout);
    const older = olderForm ? { olderPrefix: 'Linux 6.5 appended deadline_nsec; drm_ioctl zero-fills a shorter argument' } : {};
    out.push({ module: 'drm', layout, key: layout.name, since: 0, members: {}, ...newer, ...older });
  }
  for (const layout of layoutsOf(hsa)) {
    if (layout === (hsa.kernelDescriptor as Layout)) continue; // C++ only: checked against its *_OFFSET enum
    out.push({ module: 'hsa', layout, key: layout.name, since: 0, members: {} });
    if (layout === (hsa.barrierPacket as Layout)) out.push({ module: 'hsa', layout, key: 'hsa_barrier_or_packet_t', since: 0, members: {} });
  }
  return out;
}

export function tsIoctls(): TsValue[] {
  const kfdIoctls = Object.values(kfd.KFD_IOC).map((d): TsValue => ({
    module: 'kfd',
    name: d.name,
    value: d.request,
    since: d.since,
    ...(d === kfd.KFD_IOC.CREATE_QUEUE_PRE_1_17 ? { until: 17 } : {}),
    enumerator: false,
  }));
  const drmIoctls = Object.values(drm.DRM_IOC).map((d): TsValue => ({
    module: 'drm',
    name: d.name,
    value: d.request,
    since: 0,
    enumerator: false,
    ...(d.args === drm.drmSyncobjWaitArgs || d.args === drm.drmSyncobjTimelineWait ? { olderPrefix: true } : {}),
  }));
  return [...kfdIoctls, ...drmIoctls];
}

// KFD macros added after 1.11 (kfd_ioctl.h version history). EXT_COHERENT came without a version bump
// of its own, so 12 is only the first version that may have it.
const KFD_CONST_SINCE: Readonly<Record<string, number>> = {
  KFD_IOC_QUEUE_TYPE_SDMA_BY_ENG_ID: 17,
  KFD_IOC_ALLOC_MEM_FLAGS_CONTIGUOUS: 16,
  KFD_IOC_ALLOC_MEM_FLAGS_EXT_COHERENT: 12,
};

function table(module: AbiModule, prefix: string, t: Readonly<Record<string, number>>, opts: { since?: number; enumerator?: boolean } = {}): TsValue[] {
  return Object.entries(t).map(([k, value]) => ({
    module,
    name: prefix + k,
    value,
    since: KFD_CONST_SINCE[prefix + k] ?? opts.since ?? 0,
    enumerator: opts.enumerator ?? false,
  }));
}
const single = (module: AbiModule, name: string, value: number): TsValue => ({ module, name, value, since: 0, enumerator: false });

export function tsConsts(): TsValue[] {
  return [
    ...table('kfd', 'KFD_IOC_QUEUE_TYPE_', kfd.KFD_IOC_QUEUE_TYPE),
    ...table('kfd', 'KFD_IOC_CACHE_POLICY_', kfd.KFD_IOC_CACHE_POLICY),
    ...table('kfd', 'KFD_IOC_EVENT_', kfd.KFD_IOC_EVENT),
    ...table('kfd', 'KFD_IOC_WAIT_RESULT_', kfd.KFD_IOC_WAIT_RESULT),
    ...table('kfd', 'KFD_HW_EXCEPTION_', kfd.KFD_HW_EXCEPTION),
    ...table('kfd', 'KFD_MEM_ERR_', kfd.KFD_MEM_ERR),
    ...table('kfd', 'KFD_IOC_ALLOC_MEM_FLAGS_', kfd.KFD_IOC_ALLOC_MEM_FLAGS),
    ...table('kfd', 'KFD_MMIO_REMAP_', kfd.KFD_MMIO_REMAP, { enumerator: true }),
    ...table('kfd', 'KFD_RUNTIME_ENABLE_MODE_', kfd.KFD_RUNTIME_ENABLE_MODE, { since: 13 }),
    ...table('kfd', 'EC_', kfd.KFD_EC, { since: 13, enumerator: true }),
    ...table('kfd', 'KFD_IOC_DBG_TRAP_', kfd.KFD_IOC_DBG_TRAP, { since: 13, enumerator: true }),
    single('kfd', 'KFD_MAX_QUEUE_PERCENTAGE', kfd.KFD_MAX_QUEUE_PERCENTAGE),
    single('kfd', 'KFD_MAX_QUEUE_PRIORITY', kfd.KFD_MAX_QUEUE_PRIORITY),
    single('kfd', 'KFD_MIN_QUEUE_RING_SIZE', kfd.KFD_MIN_QUEUE_RING_SIZE),
    single('kfd', 'KFD_SIGNAL_EVENT_LIMIT', kfd.KFD_SIGNAL_EVENT_LIMIT),
    single('kfd', 'NUM_OF_SUPPORTED_GPUS', kfd.NUM_OF_SUPPORTED_GPUS),
    single('kfd', 'AMDKFD_IOCTL_BASE', kfd.KFD_IOCTL_BASE),
    ...table('drm', 'AMDGPU_GEM_DOMAIN_', drm.AMDGPU_GEM_DOMAIN),
    ...table('drm', 'AMDGPU_GEM_CREATE_', drm.AMDGPU_GEM_CREATE),
    ...table('drm', 'AMDGPU_VA_OP_', drm.AMDGPU_VA_OP),
    ...table('drm', 'AMDGPU_VM_PAGE_', drm.AMDGPU_VM_PAGE),
    ...table('drm', 'AMDGPU_VM_MTYPE_', drm.AMDGPU_VM_MTYPE),
    ...table('drm', 'AMDGPU_CTX_OP_', drm.AMDGPU_CTX_OP),
    ...table('drm', 'AMDGPU_CTX_PRIORITY_', drm.AMDGPU_CTX_PRIORITY),
    ...table('drm', 'AMDGPU_HW_IP_', drm.AMDGPU_HW_IP),
    ...table('drm', 'AMDGPU_CHUNK_ID_', drm.AMDGPU_CHUNK_ID),
    ...table('drm', 'AMDGPU_IB_FLAG_', drm.AMDGPU_IB_FLAG),
    ...table('drm', 'AMDGPU_INFO_', drm.AMDGPU_INFO),
    ...table('drm', 'AMDGPU_INFO_FW_', drm.AMDGPU_INFO_FW),
    ...table('drm', 'AMDGPU_INFO_SENSOR_', drm.AMDGPU_INFO_SENSOR),
    ...table('drm', 'AMDGPU_IDS_FLAGS_', drm.AMDGPU_IDS_FLAGS),
    ...table('drm', 'AMDGPU_VRAM_TYPE_', drm.AMDGPU_VRAM_TYPE),
    ...table('drm', 'AMDGPU_FAMILY_', drm.AMDGPU_FAMILY),
    ...table('drm', 'DRM_SYNCOBJ_WAIT_FLAGS_', drm.DRM_SYNCOBJ_WAIT_FLAGS),
    single('drm', 'DRM_SYNCOBJ_CREATE_SIGNALED', drm.DRM_SYNCOBJ_CREATE_SIGNALED),
    single('drm', 'DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE', drm.DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE),
    single('drm', 'DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE', drm.DRM_SYNCOBJ_FD_TO_HANDLE_FLAGS_IMPORT_SYNC_FILE),
    single('drm', 'DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED', drm.DRM_SYNCOBJ_QUERY_FLAGS_LAST_SUBMITTED),
    ...table('drm', 'AMDGPU_BO_LIST_OP_', drm.AMDGPU_BO_LIST_OP),
    ...table('drm', 'AMDGPU_GEM_USERPTR_', drm.AMDGPU_GEM_USERPTR),
    ...table('drm', 'AMDGPU_GEM_METADATA_OP_', drm.AMDGPU_GEM_METADATA_OP),
    ...table('drm', 'AMDGPU_GEM_OP_', drm.AMDGPU_GEM_OP),
    ...table('drm', 'AMDGPU_FENCE_TO_HANDLE_', drm.AMDGPU_FENCE_TO_HANDLE),
    ...table('drm', 'AMDGPU_CTX_', drm.AMDGPU_CTX_RESET),
    single('drm', 'AMDGPU_IB_FLAGS_SECURE', drm.AMDGPU_IB_FLAGS_SECURE),
    single('drm', 'AMDGPU_VM_DELAY_UPDATE', drm.AMDGPU_VM_DELAY_UPDATE),
    single('drm', 'DRM_COMMAND_BASE', drm.DRM_COMMAND_BASE),
    single('drm', 'DRM_IOCTL_BASE', drm.DRM_IOCTL_BASE),
    ...table('hsa', 'HSA_PACKET_TYPE_', hsa.HSA_PACKET_TYPE, { enumerator: true }),
    ...table('hsa', 'HSA_PACKET_HEADER_', hsa.HSA_PACKET_HEADER, { enumerator: true }),
    ...table('hsa', 'HSA_FENCE_SCOPE_', hsa.HSA_FENCE_SCOPE, { enumerator: true }),
    single('hsa', 'HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS', hsa.HSA_KERNEL_DISPATCH_PACKET_SETUP_DIMENSIONS),
    ...table('hsa', 'AMD_QUEUE_PROPERTIES_', hsa.AMD_QUEUE_PROPERTIES, { enumerator: true }),
    ...table('hsa', 'AMD_SIGNAL_KIND_', hsa.AMD_SIGNAL_KIND, { enumerator: true }),
  ].map((v) => (v.module === 'hsa' ? { ...v, enumerator: true } : v));
}

// ---- the probe for the installed headers ----

const KFD_MINOR = 'KFD_IOCTL_MINOR_VERSION';

function guardFor(since: number, until?: number): string | undefined {
  const parts = [since > 0 ? `${KFD_MINOR} >= ${since}` : '', until ? `${KFD_MINOR} < ${until}` : ''].filter(Boolean);
  return parts.length ? parts.join(' && ') : undefined;
}

function valueProbe(v: TsValue): ValueProbe {
  if (!v.enumerator) return { name: v.name };
  return v.since > 0 ? { name: v.name, guard: `${KFD_MINOR} >= ${v.since}` } : { name: v.name, guard: '1' };
}

/** The C program's content for the installed headers, generated from the TS layouts. */
export function installedProbeSpec(): ProbeSpec {
  const structs: StructProbe[] = tsStructs().map((s) => {
    const skip = new Set(s.newerThanInstalled ?? []);
    const fields = s.layout.fields.filter((f) => !skip.has(f.name)).map((f) => {
      const member = s.members[f.name] ?? f.name;
      return { name: member, member };
    });
    const guard = s.module === 'kfd' ? guardFor(s.since, s.until) : undefined;
    return { key: s.key, fields, ...(guard ? { guard } : {}) };
  });
  return {
    includes: ['linux/kfd_ioctl.h', 'drm.h', 'amdgpu_drm.h', 'hsa/hsa.h', 'hsa/amd_hsa_queue.h', 'hsa/amd_hsa_signal.h'],
    structs,
    ioctls: tsIoctls().map((v) => valueProbe(v)),
    consts: tsConsts().map((v) => valueProbe(v)),
    meta: { kfdMajor: 'KFD_IOCTL_MAJOR_VERSION', kfdMinor: KFD_MINOR },
  };
}

// ---- comparison ----

export interface Comparison {
  structs: number;
  fields: number;
  ioctls: number;
  consts: number;
  mismatches: string[];
  /** TS items the oracle should have and does not. */
  missing: string[];
  /** Keys of what was compared, to prove every TS item meets some oracle. */
  covered: Set<string>;
}

export function emptyComparison(): Comparison {
  return { structs: 0, fields: 0, ioctls: 0, consts: 0, mismatches: [], missing: [], covered: new Set() };
}

export function structId(s: TsStruct): string {
  return `${s.module}:${s.key}${s.until ? `<1.${s.until}` : ''}`;
}

/**
 * Compares TS structs with an oracle's measurements. `expect` says whether the oracle must have the
 * struct; `fieldsFor` which fields to compare (all by default); `reverse` also demands that every
 * member the oracle lists is a TS field or shares an offset with one (union alternatives).
 */
export function compareStructs(
  oracle: Pick<ProbeResult, 'structs'>,
  items: readonly TsStruct[],
  c: Comparison,
  opts: { expect: (s: TsStruct) => boolean; skipFields?: (s: TsStruct) => ReadonlySet<string>; reverse?: boolean; checkSize?: (s: TsStruct) => boolean },
): void {
  for (const s of items) {
    if (!opts.expect(s)) continue;
    const o = oracle.structs[s.key];
    if (!o) {
      c.missing.push(`struct ${s.key}`);
      continue;
    }
    c.structs++;
    c.covered.add(structId(s));
    const sizeOk = s.olderPrefix ? o.size >= s.layout.size : o.size === s.layout.size;
    if ((opts.checkSize?.(s) ?? true) && !sizeOk) c.mismatches.push(`${s.key}: size ${s.layout.size} in TS, ${o.size} in C`);
    const skip = opts.skipFields?.(s) ?? new Set<string>();
    for (const f of s.layout.fields) {
      if (skip.has(f.name)) continue;
      const member = s.members[f.name] ?? f.name;
      const off = o.fields[member];
      if (off === undefined) {
        c.missing.push(`${s.key}.${member}`);
        continue;
      }
      c.fields++;
      if (off !== f.offset) c.mismatches.push(`${s.key}.${f.name}: offset ${f.offset} in TS, ${off} in C`);
    }
    if (opts.reverse) {
      const tsMembers = new Set(s.layout.fields.map((f) => s.members[f.name] ?? f.name));
      const tsOffsets = new Set(s.layout.fields.map((f) => f.offset));
      for (const [m, off] of Object.entries(o.fields)) {
        // A member at offset == sizeof is a flexible array (kfd_ioctl_svm_args.attrs[]); members past
        // an older prefix belong to the newer form.
        const beyond = off >= s.layout.size && (off === o.size || s.olderPrefix !== undefined);
        if (!tsMembers.has(m) && !tsOffsets.has(off) && !beyond) c.mismatches.push(`${s.key}.${m} (offset ${off}) is in the C header but not in TS`);
      }
    }
  }
}

export function valueId(kind: 'ioctls' | 'consts', v: TsValue): string {
  return `${kind}:${v.name}=${v.value}`;
}

/** Whether a KFD-versioned item exists in KFD 1.`minor`. */
export function inKfdVersion(x: { since: number; until?: number }, minor: number): boolean {
  return x.since <= minor && (x.until === undefined || minor < x.until);
}

export function compareValues(
  oracle: Record<string, number>,
  items: readonly TsValue[],
  c: Comparison,
  kind: 'ioctls' | 'consts',
  opts: { select: (v: TsValue) => boolean; expect: (v: TsValue) => boolean },
): void {
  for (const v of items) {
    if (!opts.select(v)) continue;
    const got = oracle[v.name];
    if (got === undefined) {
      if (opts.expect(v)) c.missing.push(`${kind} ${v.name}`);
      continue;
    }
    c[kind]++;
    c.covered.add(valueId(kind, v));
    // An older-prefix argument changes only the 14 size bits of the request.
    const sizeBits = 0x3fff << 16;
    const ok = kind === 'ioctls' ? (v.olderPrefix ? (got & ~sizeBits) === (v.value & ~sizeBits) && ((got >>> 16) & 0x3fff) >= ((v.value >>> 16) & 0x3fff) : got === v.value) : sameConst(got, v.value);
    if (!ok) c.mismatches.push(`${v.name}: ${kind === 'ioctls' ? '0x' + v.value.toString(16) : v.value} in TS, ${kind === 'ioctls' ? '0x' + got.toString(16) : got} in C`);
  }
}
