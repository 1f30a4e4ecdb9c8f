// Bits the kernel and the VBIOS keep in the BIOS scratch registers (NBIO BIF_BX0_BIOS_SCRATCH_n):
// drivers/gpu/drm/amd/include/atombios.h and atomfirmware.h, used by amdgpu_atombios.c
// (amdgpu_atombios_scratch_regs_engine_hung, amdgpu_atombios_scratch_need_asic_init).
/** BIOS_SCRATCH_3: the kernel sets it while it recovers a hung GPU engine. */
export const ATOM_S3_ASIC_GUI_ENGINE_HUNG = 0x20000000;
/** BIOS_SCRATCH_7: the VBIOS has posted (initialised) the ASIC. */
export const ATOM_S7_ASIC_INIT_COMPLETE_MASK = 0x00000200;
