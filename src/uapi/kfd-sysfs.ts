// KFD topology sysfs ABI: include/uapi/linux/kfd_sysfs.h.
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

export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

/** Parses a sysfs `properties` file: one `name value` pair per line. */
export function parseProperties(text: string, where: string): Map<string, bigint> {
  const props = new Map<string, bigint>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s+(-?\d+)$/.exec(line);
    if (!m) throw new TopologyError(`${where}: unparseable line "${line}"`);
    props.set(m[1]!, BigInt(m[2]!));
  }
  return props;
}
