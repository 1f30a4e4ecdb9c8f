// GPU target registry: what each gfx target is, as the rest of the code needs to know it.
// ELF machine numbers: llvm/BinaryFormat/ELF.h (EF_AMDGPU_MACH_AMDGCN_*); families and IP versions:
// amdgpu amdgpu_discovery.c / kfd_device.c (gfx_target_version per GC IP version).

/** PM4 and cache-control generation: gfx9 = soc15d.h packets, gfx10+ = nvd.h packets with GCR_CNTL. */
export type GfxFamily = 'gfx9' | 'gfx10' | 'gfx11' | 'gfx12';
export type Arch = 'GCN5' | 'CDNA1' | 'CDNA2' | 'CDNA3' | 'CDNA4' | 'RDNA2' | 'RDNA3' | 'RDNA3.5' | 'RDNA4';

export interface GpuTarget {
  /** LLVM processor name, e.g. gfx1100. */
  readonly name: string;
  /** KFD's gfx_target_version: major*10000 + minor*100 + stepping. */
  readonly version: number;
  readonly family: GfxFamily;
  readonly arch: Arch;
  /** Native wavefront size when the code object does not choose (gfx10+ can run either). */
  readonly defaultWaveSize: 32 | 64;
  /** SDMA IP major.minor. */
  readonly sdma: readonly [number, number];
  /** EF_AMDGPU_MACH_* value, undefined where LLVM 19 has none. */
  readonly elfMach: number | undefined;
  /** Marketing name of the chip family, for display only. */
  readonly chip: string;
}

// [name, version, family, arch, wave, sdma, elfMach, chip]
type Row = readonly [string, number, GfxFamily, Arch, 32 | 64, readonly [number, number], number | undefined, string];
const ROWS: readonly Row[] = [
  ['gfx900', 90000, 'gfx9', 'GCN5', 64, [4, 0], 0x02c, 'Vega 10'],
  ['gfx906', 90006, 'gfx9', 'GCN5', 64, [4, 2], 0x02f, 'Vega 20'],
  ['gfx908', 90008, 'gfx9', 'CDNA1', 64, [4, 2], 0x030, 'Arcturus (MI100)'],
  ['gfx90a', 90010, 'gfx9', 'CDNA2', 64, [4, 4], 0x03f, 'Aldebaran (MI200)'],
  ['gfx940', 90400, 'gfx9', 'CDNA3', 64, [4, 4], 0x040, 'Aqua Vanjaram (MI300)'],
  ['gfx941', 90401, 'gfx9', 'CDNA3', 64, [4, 4], 0x04b, 'Aqua Vanjaram (MI300)'],
  ['gfx942', 90402, 'gfx9', 'CDNA3', 64, [4, 4], 0x04c, 'Aqua Vanjaram (MI300)'],
  ['gfx950', 90500, 'gfx9', 'CDNA4', 64, [4, 4], undefined, 'MI350'],
  ['gfx1030', 100300, 'gfx10', 'RDNA2', 32, [5, 2], 0x036, 'Sienna Cichlid (Navi 21)'],
  ['gfx1031', 100301, 'gfx10', 'RDNA2', 32, [5, 2], 0x037, 'Navy Flounder (Navi 22)'],
  ['gfx1032', 100302, 'gfx10', 'RDNA2', 32, [5, 2], 0x038, 'Dimgrey Cavefish (Navi 23)'],
  ['gfx1100', 110000, 'gfx11', 'RDNA3', 32, [6, 0], 0x041, 'Plum Bonito (Navi 31)'],
  ['gfx1101', 110001, 'gfx11', 'RDNA3', 32, [6, 0], 0x046, 'Wheat Nas (Navi 32)'],
  ['gfx1102', 110002, 'gfx11', 'RDNA3', 32, [6, 0], 0x047, 'Navi 33'],
  ['gfx1103', 110003, 'gfx11', 'RDNA3', 32, [6, 0], 0x044, 'Phoenix'],
  ['gfx1150', 110500, 'gfx11', 'RDNA3.5', 32, [6, 1], 0x043, 'Strix Point'],
  ['gfx1151', 110501, 'gfx11', 'RDNA3.5', 32, [6, 1], 0x04a, 'Strix Halo'],
  ['gfx1200', 120000, 'gfx12', 'RDNA4', 32, [7, 0], 0x048, 'Navi 44'],
  ['gfx1201', 120001, 'gfx12', 'RDNA4', 32, [7, 0], 0x04e, 'Navi 48'],
];

export const TARGETS: ReadonlyMap<string, GpuTarget> = new Map(
  ROWS.map(([name, version, family, arch, defaultWaveSize, sdma, elfMach, chip]) => [
    name,
    { name, version, family, arch, defaultWaveSize, sdma, elfMach, chip },
  ]),
);

/**
 * gfx name from KFD's gfx_target_version: decimal major, then minor and stepping printed in hex
 * (90010 → gfx90a, 90402 → gfx942, 110000 → gfx1100, 120001 → gfx1201).
 */
export function gfxNameFromVersion(version: number): string {
  if (!Number.isInteger(version) || version <= 0) throw new RangeError(`invalid gfx_target_version ${version}`);
  const major = Math.floor(version / 10000);
  const minor = Math.floor(version / 100) % 100;
  const stepping = version % 100;
  return `gfx${major}${minor.toString(16)}${stepping.toString(16)}`;
}

export function targetByName(name: string): GpuTarget | undefined {
  return TARGETS.get(name);
}

export function targetByVersion(version: number): GpuTarget | undefined {
  return TARGETS.get(gfxNameFromVersion(version));
}

export function targetByElfMach(mach: number): GpuTarget | undefined {
  for (const t of TARGETS.values()) if (t.elfMach === mach) return t;
  return undefined;
}
