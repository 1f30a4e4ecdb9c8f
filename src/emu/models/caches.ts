// The GPU caches KFD lists under nodes/N/caches (ROCr refuses a GPU agent without them): per-target
// tables from kfd_crat.c (kfd_gpu_cache_info: size in KiB, level, flags, CUs sharing one instance), laid
// out as kfd_fill_gpu_cache_info / fill_in_l1_pcache do — per shader array, one instance per group of
// `cuShared` CUs. The emulated chip has the same number of active CUs in every shader array, so the
// count can differ from a real, unevenly harvested part (the MI210 capture lists 217, the model 224).

/** HSA_CACHE_TYPE_* bits of the sysfs `type` key (kfd_topology.h). */
const TYPE = { DATA: 1, INSTRUCTION: 2, HSACU: 8 } as const;

interface CacheKind {
  readonly name: string;
  readonly sizeKb: number;
  readonly level: number;
  readonly type: number;
  readonly cuShared: number;
  readonly lineBytes: number;
}

// kfd_crat.c aldebaran_cache_info (cache_line_size as the 6.x kernel sets it: 64 B L1, 128 B L2).
const ALDEBARAN: readonly CacheKind[] = [
  { name: 'TCP L1 per CU', sizeKb: 16, level: 1, type: TYPE.DATA | TYPE.HSACU, cuShared: 1, lineBytes: 64 },
  { name: 'scalar L1 instruction per SQC', sizeKb: 32, level: 1, type: TYPE.INSTRUCTION | TYPE.HSACU, cuShared: 2, lineBytes: 64 },
  { name: 'scalar L1 data per SQC', sizeKb: 16, level: 1, type: TYPE.DATA | TYPE.HSACU, cuShared: 2, lineBytes: 64 },
  { name: 'L2 per GPU', sizeKb: 8192, level: 2, type: TYPE.DATA | TYPE.HSACU, cuShared: 14, lineBytes: 128 },
];

const CACHE_TABLES: Readonly<Record<string, readonly CacheKind[]>> = { gfx90a: ALDEBARAN };

export interface CacheGeometry {
  readonly target: string;
  readonly simdIdBase: number;
  readonly shaderArrays: number;
  readonly cuPerArray: number;
  readonly activeCuPerArray: number;
}

/** The `properties` text of every cache instance, in the order KFD numbers them; empty when the target has no table. */
export function gpuCaches(g: CacheGeometry): string[] {
  const kinds = CACHE_TABLES[g.target] ?? [];
  const out: string[] = [];
  for (const k of kinds) {
    for (let sa = 0; sa < g.shaderArrays; sa++) {
      for (let first = 0; first < g.activeCuPerArray; first += k.cuShared) {
        const cus = Math.min(k.cuShared, g.activeCuPerArray - first);
        const siblings = Array.from({ length: g.shaderArrays * g.cuPerArray }, (_, i) => (i >= sa * g.cuPerArray + first && i < sa * g.cuPerArray + first + cus ? 1 : 0));
        out.push(
          [
            ['processor_id_low', g.simdIdBase + sa * g.cuPerArray + first],
            ['level', k.level],
            ['size', k.sizeKb],
            ['cache_line_size', k.lineBytes],
            ['cache_lines_per_tag', 1],
            ['association', 16],
            ['latency', 1],
            ['type', k.type],
          ]
            .map(([key, v]) => `${key} ${v}`)
            .join('\n') + `\nsibling_map ${siblings.join(',')}\n`,
        );
      }
    }
  }
  return out;
}
