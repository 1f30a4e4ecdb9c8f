// KFD topology sysfs ABI: include/uapi/linux/kfd_sysfs.h.
import { AmdgpuError } from '../errors.js';
export const KFD_TOPOLOGY_PATH = '/sys/devices/virtual/kfd/kfd/topology';

export const HSA_CAP = {
  HOT_PLUGGABLE: 0x1,
  ATS_PRESENT: 0x2,
  SHARED_WITH_GRAPHICS: 0x4,
  QUEUE_SIZE_POW2: 0x8,
  QUEUE_SIZE_32BIT: 0x10,
  QUEUE_IDLE_EVENT: 0x20,
  VA_LIMIT: 0x40,
  WATCH_POINTS_SUPPORTED: 0x80,
  AQL_QUEUE_DOUBLE_MAP: 0x4000,
  MEM_EDCSUPPORTED: 0x100000,
  RASEVENTNOTIFY: 0x200000,
  SRAM_EDCSUPPORTED: 0x4000000,
  SVMAPI_SUPPORTED: 0x8000000,
  FLAGS_COHERENTHOSTACCESS: 0x10000000,
} as const;
export const HSA_CAP_DOORBELL_TYPE_SHIFT = 12;
export const HSA_CAP_DOORBELL_TYPE_MASK = 0x3000;

export const HSA_MEM_HEAP_TYPE = { SYSTEM: 0, FB_PUBLIC: 1, FB_PRIVATE: 2, GPU_GDS: 3, GPU_LDS: 4, GPU_SCRATCH: 5 } as const;

export const HSA_CACHE_TYPE = { DATA: 0x1, INSTRUCTION: 0x2, CPU: 0x4, HSACU: 0x8 } as const;

export const HSA_IOLINK_TYPE = {
  UNDEFINED: 0,
  HYPERTRANSPORT: 1,
  PCIEXPRESS: 2,
  AMBA: 3,
  MIPI: 4,
  QPI_1_1: 5,
  RAPID_IO: 8,
  INFINIBAND: 9,
  XGMI: 11,
  XGOP: 12,
  GZ: 13,
  ETHERNET_RDMA: 14,
  RDMA_OTHER: 15,
  OTHER: 16,
} as const;
export const HSA_IOLINK_FLAGS = { ENABLED: 1, NON_COHERENT: 2, NO_ATOMICS_32_BIT: 4, NO_ATOMICS_64_BIT: 8, NO_PEER_TO_PEER_DMA: 16 } as const;

export function ioLinkTypeName(type: number): string {
  for (const [k, v] of Object.entries(HSA_IOLINK_TYPE)) if (v === type) return k;
  return `type ${type}`;
}

/** The KFD topology in sysfs is missing or malformed (a broken driver or capture): a runtime failure. */
export class TopologyError extends AmdgpuError {
  constructor(message: string) {
    super('runtime', message);
    this.name = 'TopologyError';
  }
}

/** A properties file split into integer values and integer lists. */
export interface ParsedProperties {
  readonly values: Map<string, bigint>;
  /** Comma-separated values, e.g. a cache's `sibling_map`. */
  readonly lists: Map<string, number[]>;
}

/**
 * Parses a sysfs `properties` file: one `name value` pair per line. The value is an integer, or, in
 * caches/N/properties, `sibling_map`: one 0/1 per CPU core or CU, comma-separated (kfd_topology.c
 * kfd_cache_show prints "%d," per bit and turns the last comma into the newline).
 */
export function parsePropertiesWithLists(text: string, where: string): ParsedProperties {
  const values = new Map<string, bigint>();
  const lists = new Map<string, number[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const scalar = /^(\S+)\s+(-?\d+)$/.exec(line);
    if (scalar) {
      values.set(scalar[1]!, BigInt(scalar[2]!));
      continue;
    }
    const list = /^(\S+)\s+(\d+(?:,\d+)+),?$/.exec(line);
    if (!list) throw new TopologyError(`${where}: unparseable line "${line}"`);
    lists.set(list[1]!, list[2]!.split(',').map(Number));
  }
  return { values, lists };
}

/** Parses a `properties` file whose values are all integers (node, mem_bank and io_link properties). */
export function parseProperties(text: string, where: string): Map<string, bigint> {
  const { values, lists } = parsePropertiesWithLists(text, where);
  const [listKey] = lists.keys();
  if (listKey !== undefined) throw new TopologyError(`${where}: "${listKey}" is a list where an integer was expected`);
  return values;
}
