// The emulated GPU's PCI configuration space (4096 bytes), with the capability chains of real AMD GPUs.
//
// Layouts, from `lspci -vvv` of real devices (offsets, ids and versions of every capability as printed):
//  - RDNA3 (gfx1100): a Radeon RX 7900 XTX, Navi 31 [1002:744c], github.com/geerlingguy/raspberry-pi-pcie-devices
//    issue 503: [48] Vendor Specific Len=08, [50] PM v3, [64] Express v2 Legacy Endpoint, [a0] MSI 64-bit,
//    [100 v1] VSEC ID=0001 Rev=1 Len=010, [150 v2] AER, [200 v1] Resizable BAR (BAR 0 256MB of 256MB..32GB,
//    BAR 2 2MB of 2MB..256MB), [240 v1] Power Budgeting, [270 v1] Secondary PCIe, [2a0 v1] ACS,
//    [2d0 v1] PASID (Exec+ Priv+, width 0x10), [320 v1] LTR, [410 v1] Physical Layer 16 GT/s,
//    [450 v1] Lane Margining. No ATS/PRI on that part.
//  - Instinct (gfx90a, gfx942): the Instinct chain as a Vega 20 MI50 [1002:66a1] prints it
//    (github.com/ROCm/legacy-rocm-build issue 4793): the same up to ACS, then [2b0 v1] ATS, [2c0 v1] PRI
//    (capacity 0x100, Stopped+), [2d0 v1] PASID, [320 v1] LTR, [400 v1] Data Link Feature,
//    [410 v1] Physical Layer 16 GT/s, [440 v1] Lane Margining. No MI210/MI300X dump was available here;
//    the MI300X link is trained at 32 GT/s x16 (PCIe 5), the MI210 at 16 GT/s x16.
// Register bit layouts: PCI Express Base Specification, named as in include/uapi/linux/pci_regs.h.
import type { GpuInstance } from '../models/system.js';

export const CONFIG_SPACE_BYTES = 4096;

export interface BarLayout {
  readonly index: number;
  readonly bytes: bigint;
  readonly kind: 'memory' | 'io';
  readonly is64: boolean;
  readonly prefetchable: boolean;
  readonly address: bigint;
  /** What the BAR exposes. */
  readonly role: 'vram' | 'doorbell' | 'io' | 'mmio';
}

export interface PciFunctionLayout {
  readonly instinct: boolean;
  readonly classCode: number;
  readonly subsystemId: number;
  /** Link speed code (1 = 2.5 GT/s … 5 = 32 GT/s) and width, capability and trained. */
  readonly linkSpeed: number;
  readonly linkWidth: number;
  readonly bars: readonly BarLayout[];
  /** The register BAR: resource5 on every SOC15 part (amdgpu_device_init: BAR 5 from CHIP_BONAIRE on, BAR 2 before). */
  readonly registerBar: number;
}

const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** The function's BARs and link, per model. Addresses are laid out per GPU so two GPUs never overlap. */
export function pciFunctionLayout(g: GpuInstance): PciFunctionLayout {
  const instinct = g.model.target.startsWith('gfx9');
  const slot = BigInt(g.index);
  const vramBar = instinct ? 1n << BigInt(Math.ceil(Math.log2(Number(g.model.vramBytes)))) : 256n * MiB;
  const base64 = 0x380000000000n + slot * 0x10000000000n;
  const mmioBytes = instinct ? 512n * 1024n : 1n * MiB;
  const bars: BarLayout[] = [
    { index: 0, bytes: vramBar, kind: 'memory', is64: true, prefetchable: true, address: base64, role: 'vram' },
    { index: 2, bytes: 2n * MiB, kind: 'memory', is64: true, prefetchable: true, address: base64 + vramBar, role: 'doorbell' },
  ];
  if (!instinct) bars.push({ index: 4, bytes: 256n, kind: 'io', is64: false, prefetchable: false, address: 0xe000n - slot * 0x1000n, role: 'io' });
  bars.push({ index: 5, bytes: mmioBytes, kind: 'memory', is64: false, prefetchable: false, address: 0xfb000000n + slot * 0x100000n, role: 'mmio' });
  return {
    instinct,
    classCode: instinct ? 0x038000 : 0x030000,
    subsystemId: Number(g.properties.get('device_id') ?? 0n),
    linkSpeed: g.model.target === 'gfx942' ? 5 : 4,
    linkWidth: 16,
    bars,
    registerBar: 5,
  };
}

class Writer {
  readonly bytes = new Uint8Array(CONFIG_SPACE_BYTES);
  private readonly dv = new DataView(this.bytes.buffer);
  u8(o: number, v: number): void { this.dv.setUint8(o, v); }
  u16(o: number, v: number): void { this.dv.setUint16(o, v, true); }
  u32(o: number, v: number): void { this.dv.setUint32(o, v >>> 0, true); }
  /** An extended capability header: id, version, next. */
  ext(o: number, id: number, version: number, next: number): void { this.u32(o, id | (version << 16) | (next << 20)); }
}

/** Resizable BAR size encoding: bit (4 + n) of the capability register supports 2^n MiB. */
function rebarBits(fromBytes: bigint, toBytes: bigint): number {
  let bits = 0;
  for (let n = 0; n < 28; n++) {
    const size = MiB << BigInt(n);
    if (size >= fromBytes && size <= toBytes) bits |= 1 << (n + 4);
  }
  return bits >>> 0;
}

function log2Mib(bytes: bigint): number {
  return Math.log2(Number(bytes / MiB));
}

export function buildConfigSpace(g: GpuInstance, layout: PciFunctionLayout = pciFunctionLayout(g)): Uint8Array {
  const w = new Writer();
  const vendor = Number(g.properties.get('vendor_id') ?? 0x1002n);
  const device = Number(g.properties.get('device_id') ?? 0n);
  // ---- type 0 header ----
  w.u16(0x00, vendor);
  w.u16(0x02, device);
  w.u16(0x04, 0x0406); // Mem+ BusMaster+ DisINTx+ (amdgpu bound, MSI in use)
  w.u16(0x06, 0x0010); // Cap+ DEVSEL=fast
  w.u8(0x08, g.model.pciRevision);
  w.u8(0x09, layout.classCode & 0xff);
  w.u8(0x0a, (layout.classCode >> 8) & 0xff);
  w.u8(0x0b, (layout.classCode >> 16) & 0xff);
  w.u8(0x0c, 0x10); // cache line size 64 bytes
  w.u8(0x0e, layout.instinct ? 0x00 : 0x80); // Radeon: multi-function (HDMI audio at .1)
  for (const b of layout.bars) {
    const o = 0x10 + b.index * 4;
    if (b.kind === 'io') {
      w.u32(o, Number(b.address) | 1);
      continue;
    }
    const flags = (b.is64 ? 0x4 : 0) | (b.prefetchable ? 0x8 : 0);
    w.u32(o, Number(b.address & 0xfffffff0n) | flags);
    if (b.is64) w.u32(o + 4, Number(b.address >> 32n));
  }
  w.u16(0x2c, vendor);
  w.u16(0x2e, layout.subsystemId);
  w.u32(0x30, 0); // expansion ROM disabled
  w.u8(0x34, 0x48);
  w.u8(0x3c, 0xff);
  w.u8(0x3d, 0x01); // INTA
  // ---- capability list ----
  w.u8(0x48, 0x09); w.u8(0x49, 0x50); w.u8(0x4a, 0x08); // vendor specific, Len=08
  w.u8(0x50, 0x01); w.u8(0x51, 0x64);
  w.u16(0x52, 0xf003 | (layout.instinct ? 0x0600 : 0)); // PM v3; PME from D1,D2,D3hot,D3cold; D1/D2 on Instinct
  w.u16(0x54, 0x0008); // D0, NoSoftRst+
  const e = 0x64;
  w.u8(e, 0x10); w.u8(e + 1, 0xa0);
  w.u16(e + 2, 0x0012); // PCIe v2, Legacy Endpoint
  // DevCap: MaxPayload 256, L0s <4us, L1 unlimited, ExtTag+, RBE+, FLReset+
  w.u32(e + 0x04, 0x1 | (1 << 5) | (6 << 6) | (7 << 9) | (1 << 15) | (1 << 28));
  w.u16(e + 0x08, 0x2930 | 0x0f); // DevCtl: errors reported, ExtTag+, NoSnoop+, MaxPayload 256, MaxReadReq 512
  // LnkCap: speed, width, ASPM L1, L1 exit <1us... no: L0s exit <64ns, L1 exit <1us; Port #0
  w.u32(e + 0x0c, layout.linkSpeed | (layout.linkWidth << 4) | (2 << 10) | (0 << 12) | (1 << 15) | (1 << 22));
  w.u16(e + 0x10, 0x0040); // LnkCtl: CommClk+
  w.u16(e + 0x12, layout.linkSpeed | (layout.linkWidth << 4) | (1 << 12)); // LnkSta: trained speed/width, SlotClk+
  // DevCap2: completion timeout ranges ABCD, TimeoutDis+, AtomicOps 32/64/128CAS completer, LTR+, 10-bit tags, ExtFmt+
  w.u32(e + 0x24, 0xf | (1 << 4) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 11) | (1 << 16) | (1 << 17) | (1 << 20));
  w.u16(e + 0x28, (1 << 6) | (1 << 10)); // DevCtl2: AtomicOpsCtl ReqEn+ (amdgpu enables it), LTR+
  let speeds = 0;
  for (let s = 1; s <= layout.linkSpeed; s++) speeds |= 1 << s;
  w.u32(e + 0x2c, speeds); // LnkCap2: supported speeds vector
  w.u16(e + 0x30, layout.linkSpeed); // LnkCtl2: target speed
  w.u8(0xa0, 0x05); w.u8(0xa1, 0x00);
  w.u16(0xa2, 0x0081); // MSI: Enable+ Count=1/1, 64bit+
  w.u32(0xa4, 0xfee00000);
  w.u16(0xac, 0x0022);
  // ---- extended capabilities ----
  w.ext(0x100, 0x000b, 1, 0x150);
  w.u32(0x104, 0x0001 | (1 << 16) | (0x010 << 20)); // VSEC ID=0001 Rev=1 Len=010
  w.ext(0x150, 0x0001, 2, 0x200);
  w.u32(0x15c, 0x00462030); // UESvrt: DLP SDES FCP RxOF MalfTLP
  w.u32(0x164, 0x00002000); // CEMsk: NonFatalErr
  w.u32(0x168, 0x000000a0); // AERCap: ECRC generation/check capable
  w.ext(0x200, 0x0015, 1, 0x240);
  const vram = layout.bars.find((b) => b.role === 'vram')!;
  const maxVramBar = layout.instinct ? vram.bytes : 32n * GiB;
  w.u32(0x204, rebarBits(256n * MiB, maxVramBar));
  w.u32(0x208, 0 | (2 << 5) | (log2Mib(vram.bytes) << 8));
  w.u32(0x20c, rebarBits(2n * MiB, 256n * MiB));
  w.u32(0x210, 2 | (log2Mib(2n * MiB) << 8));
  w.ext(0x240, 0x0004, 1, 0x270);
  w.ext(0x270, 0x0019, 1, 0x2a0);
  w.ext(0x2a0, 0x000d, 1, layout.instinct ? 0x2b0 : 0x2d0);
  if (layout.instinct) {
    w.ext(0x2b0, 0x000f, 1, 0x2c0);
    w.u16(0x2b4, 0x0000); // ATSCap: invalidate queue depth 0
    w.u16(0x2b6, 0x0000); // ATSCtl: Enable-, STU 0
    w.ext(0x2c0, 0x0013, 1, 0x2d0);
    w.u16(0x2c6, 0x0100); // PRISta: Stopped+
    w.u32(0x2c8, 0x100); // outstanding page request capacity
  }
  w.ext(0x2d0, 0x001b, 1, 0x320);
  w.u16(0x2d4, 0x1006); // PASIDCap: Exec+ Priv+, width 0x10
  w.ext(0x320, 0x0018, 1, layout.instinct ? 0x400 : 0x410);
  if (layout.instinct) {
    w.ext(0x400, 0x0025, 1, 0x410);
    w.u32(0x404, 0x80000001); // DLF: local scaled flow control supported, exchange enabled
  }
  w.ext(0x410, 0x0026, 1, layout.instinct ? 0x440 : 0x450);
  w.ext(layout.instinct ? 0x440 : 0x450, 0x0027, 1, 0);
  return w.bytes;
}
