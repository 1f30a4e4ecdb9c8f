// The IP facts of each emulated chip that both kernel interfaces report: the render node's INFO
// queries (family, GC and SDMA IP versions, VRAM type, whether it has a GFX ring) and KFD's
// GET_TILE_CONFIG (gb_addr_config).
import * as drm from '../../uapi/drm.js';

// Per-target facts the INFO queries report: family and GC IP version (amdgpu_drm.h AMDGPU_FAMILY_*,
// amdgpu_discovery.c: Aldebaran GC 9.4.2 (→ 90010 in kfd_device.c) / SDMA 4.4.0 run by sdma_v4_0.c,
// MI300 GC 9.4.3 / SDMA 4.4.2), memory type of the product (RX 7900 XTX: GDDR6, MI210: HBM2e, MI300X: HBM3). gbAddrConfig: what amdgpu_info READ_MMR_REG
// returns for GB_ADDR_CONFIG (soc15_get_register_value answers it from gfx.config), where known.
export const TARGET_INFO: Readonly<Record<string, { family: number; gc: readonly [number, number, number]; sdma: readonly [number, number]; vramType: number; hasGfx: boolean; gbAddrConfig?: number }>> = {
  // gb_addr_config on gfx11/gfx12 is the raw register (gfx_v11_0.c / gfx_v12_0.c get_gb_addr_config); the values
  // real Navi 31 [1002:744c] and Navi 48 [1002:7550] boards read are in Mesa's drm-shim device table
  // (src/amd/drm-shim/amdgpu_devices.c, register 0x263e): 0x00000545 (32 pipes, 256 B interleave, 2
  // compressed fragments, 32 packers) and 0x08200545.
  gfx1100: { family: drm.AMDGPU_FAMILY.GC_11_0_0, gc: [11, 0, 0], sdma: [6, 0], vramType: drm.AMDGPU_VRAM_TYPE.GDDR6, hasGfx: true, gbAddrConfig: 0x00000545 },
  // RX 9070 XT (Navi 48): GC 12.0.1 and SDMA 7.0.1 (amdgpu_discovery.c: gfx_v12_0.c, sdma_v7_0.c), GDDR6.
  gfx1201: { family: drm.AMDGPU_FAMILY.GC_12_0_0, gc: [12, 0, 1], sdma: [7, 0], vramType: drm.AMDGPU_VRAM_TYPE.GDDR6, hasGfx: true, gbAddrConfig: 0x08200545 },
  // MI300X: gfx_v9_4_3.c reads GB_ADDR_CONFIG raw and no public dump of its value was found, so the
  // emulated render node refuses the read (as an unlisted register) rather than invent one.
  gfx942: { family: drm.AMDGPU_FAMILY.AI, gc: [9, 4, 3], sdma: [4, 4], vramType: drm.AMDGPU_VRAM_TYPE.HBM, hasGfx: false },
  // gfx_v9_0.c gfx_v9_0_gpu_early_init, ALDEBARAN: the fields it masks in (~0xf3e777ff) are 0x22014042;
  // the emulated chip's other (harvest-dependent) bits read as 0.
  gfx90a: { family: drm.AMDGPU_FAMILY.AI, gc: [9, 4, 2], sdma: [4, 4], vramType: drm.AMDGPU_VRAM_TYPE.HBM, hasGfx: false, gbAddrConfig: 0x22014042 },
};

/** adev->gfx.config.gb_addr_config of the emulated chip `target`, where known (also what KFD's GET_TILE_CONFIG reports). */
export function gbAddrConfigOf(target: string): number | undefined {
  return TARGET_INFO[target]?.gbAddrConfig;
}
