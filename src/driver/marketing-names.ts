// Product names by PCI device id, first entry per id in mesa/drm data/amdgpu.ids (the revision id,
// which tells e.g. RX 7900 XTX from XT, is not in the KFD topology). test/pci-amdgpu-ids.test.ts checks
// them against the installed libdrm's amdgpu.ids.
export const MARKETING_NAMES: ReadonlyMap<number, string> = new Map([
  [0x66af, 'AMD Radeon VII'],
  [0x740c, 'AMD Instinct MI250X / MI250'],
  [0x740f, 'AMD Instinct MI210'],
  [0x744c, 'AMD Radeon RX 7900 XTX'],
  [0x74a0, 'AMD Instinct MI300A'],
  [0x74a1, 'AMD Instinct MI300X'],
  [0x74a5, 'AMD Instinct MI325X'],
  [0x7550, 'AMD Radeon RX 9070 XT'],
]);

export function marketingName(deviceId: number): string | undefined {
  return MARKETING_NAMES.get(deviceId);
}
