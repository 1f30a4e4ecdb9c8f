// Symbolic immediates LLVM prints for particular instructions: s_waitcnt counters, s_delay_alu,
// DPP controls, SDWA selects. Field layouts from the RDNA3 ISA guide §4.4/§6.2 and the MI300 ISA §4.4;
// names as LLVM 19's AMDGPUInstPrinter spells them.
import { isRdna, type IsaFamily } from './types.js';

const GFX9_WAITCNT = [
  { name: 'vmcnt', parts: [[0, 4], [14, 2]] },
  { name: 'expcnt', parts: [[4, 3]] },
  { name: 'lgkmcnt', parts: [[8, 4]] },
] as const;

/** s_waitcnt simm16 counter fields: [lo, bits] pieces (low piece first), and each counter's all-ones value. */
const WAITCNT: Readonly<Record<IsaFamily, readonly { name: string; parts: readonly (readonly [number, number])[] }[]>> = {
  rdna3: [
    { name: 'vmcnt', parts: [[10, 6]] },
    { name: 'expcnt', parts: [[0, 3]] },
    { name: 'lgkmcnt', parts: [[4, 6]] },
  ],
  // gfx12 compilers emit one s_wait_*cnt per counter; LLVM still decodes s_waitcnt with gfx11's fields.
  rdna4: [
    { name: 'vmcnt', parts: [[10, 6]] },
    { name: 'expcnt', parts: [[0, 3]] },
    { name: 'lgkmcnt', parts: [[4, 6]] },
  ],
  cdna3: GFX9_WAITCNT,
  cdna2: GFX9_WAITCNT,
};

/** "vmcnt(0) lgkmcnt(0)": counters not at their maximum; all of them when every counter is at its maximum. */
export function formatWaitcnt(family: IsaFamily, simm16: number): string {
  const all: string[] = [];
  const shown: string[] = [];
  for (const c of WAITCNT[family]) {
    let v = 0;
    let max = 0;
    let shift = 0;
    for (const [lo, bits] of c.parts) {
      v |= ((simm16 >>> lo) & ((1 << bits) - 1)) << shift;
      max |= ((1 << bits) - 1) << shift;
      shift += bits;
    }
    const s = `${c.name}(${v})`;
    all.push(s);
    if (v !== max) shown.push(s);
  }
  return (shown.length ? shown : all).join(' ');
}

const DELAY_INSTID = [
  'NO_DEP', 'VALU_DEP_1', 'VALU_DEP_2', 'VALU_DEP_3', 'VALU_DEP_4', 'TRANS32_DEP_1', 'TRANS32_DEP_2', 'TRANS32_DEP_3',
  'FMA_ACCUM_CYCLE_1', 'SALU_CYCLE_1', 'SALU_CYCLE_2', 'SALU_CYCLE_3',
];
const DELAY_SKIP = ['SAME', 'NEXT', 'SKIP_1', 'SKIP_2', 'SKIP_3', 'SKIP_4'];

/** s_delay_alu: instid0 [3:0], instskip [6:4], instid1 [10:7] (higher bits ignored); zero parts after instid0 are omitted. */
export function formatDelayAlu(simm16: number): string {
  const id0 = simm16 & 0xf;
  const skip = (simm16 >> 4) & 0x7;
  const id1 = (simm16 >> 7) & 0xf;
  if (id0 >= DELAY_INSTID.length || skip >= DELAY_SKIP.length || id1 >= DELAY_INSTID.length) return String(simm16);
  const parts = [`instid0(${DELAY_INSTID[id0]})`];
  if (skip) parts.push(`instskip(${DELAY_SKIP[skip]})`);
  if (id1) parts.push(`instid1(${DELAY_INSTID[id1]})`);
  return id0 === 0 && !skip && !id1 ? '0' : parts.join(' | ');
}

/** DPP16 control (dpp_ctrl) as LLVM names it; gfx9 has wave shifts and row broadcasts, gfx11 row_share/xmask. */
export function formatDppCtrl(family: IsaFamily, ctrl: number): string | undefined {
  if (ctrl <= 0xff) return `quad_perm:[${ctrl & 3},${(ctrl >> 2) & 3},${(ctrl >> 4) & 3},${(ctrl >> 6) & 3}]`;
  if (ctrl >= 0x101 && ctrl <= 0x10f) return `row_shl:${ctrl & 0xf}`;
  if (ctrl >= 0x111 && ctrl <= 0x11f) return `row_shr:${ctrl & 0xf}`;
  if (ctrl >= 0x121 && ctrl <= 0x12f) return `row_ror:${ctrl & 0xf}`;
  if (ctrl === 0x140) return 'row_mirror';
  if (ctrl === 0x141) return 'row_half_mirror';
  if (!isRdna(family)) {
    const gfx9: Record<number, string> = { 0x130: 'wave_shl:1', 0x134: 'wave_rol:1', 0x138: 'wave_shr:1', 0x13c: 'wave_ror:1', 0x142: 'row_bcast:15', 0x143: 'row_bcast:31' };
    if (ctrl >= 0x150 && ctrl <= 0x15f) return `row_newbcast:${ctrl & 0xf}`;
    if (ctrl >= 0x160 && ctrl <= 0x16f) return '/* row_xmask is not supported on ASICs earlier than GFX10 */';
    return gfx9[ctrl];
  }
  if (ctrl >= 0x150 && ctrl <= 0x15f) return `row_share:${ctrl & 0xf}`;
  if (ctrl >= 0x160 && ctrl <= 0x16f) return `row_xmask:${ctrl & 0xf}`;
  return undefined;
}

export function formatDpp8(sel: number): string {
  const lanes: number[] = [];
  for (let i = 0; i < 8; i++) lanes.push((sel >>> (3 * i)) & 7);
  return `dpp8:[${lanes.join(',')}]`;
}

export const SDWA_SEL = ['BYTE_0', 'BYTE_1', 'BYTE_2', 'BYTE_3', 'WORD_0', 'WORD_1', 'DWORD'];
export const SDWA_UNUSED = ['UNUSED_PAD', 'UNUSED_SEXT', 'UNUSED_PRESERVE'];

/**
 * s_waitcnt_depctr (RDNA3): counter fields [name, lo, bits]; default = all ones. Symbolic only when no bit
 * outside the fields is set; then the non-default counters are listed (all of them if none differs).
 */
const DEPCTR: readonly (readonly [string, number, number])[] = [
  ['depctr_hold_cnt', 7, 1], ['depctr_sa_sdst', 0, 1], ['depctr_va_vdst', 12, 4], ['depctr_va_sdst', 9, 3],
  ['depctr_va_ssrc', 8, 1], ['depctr_va_vcc', 1, 1], ['depctr_vm_vsrc', 2, 3],
];

export function formatDepctr(simm16: number): string {
  let used = 0;
  const all: string[] = [];
  const changed: string[] = [];
  for (const [name, lo, n] of DEPCTR) {
    const max = (1 << n) - 1;
    used |= max << lo;
    const v = (simm16 >> lo) & max;
    all.push(`${name}(${v})`);
    if (v !== max) changed.push(`${name}(${v})`);
  }
  if (simm16 & ~used & 0xffff) return '0x' + simm16.toString(16);
  return (changed.length ? changed : all).join(' ');
}

/** hwreg(NAME) for a whole register, hwreg(NAME, offset, size) otherwise; id [5:0], offset [10:6], size-1 [15:11]. */
export function formatHwreg(simm16: number, names: Readonly<Record<number, string>>): string {
  const id = simm16 & 0x3f;
  const offset = (simm16 >> 6) & 0x1f;
  const size = ((simm16 >> 11) & 0x1f) + 1;
  const name = names[id] ?? String(id);
  return offset === 0 && size === 32 ? `hwreg(${name})` : `hwreg(${name}, ${offset}, ${size})`;
}

/** CDNA3 s_set_gpr_idx_on/_mode: the index-enable mask as gpr_idx(SRC0,SRC1,SRC2,DST); other values in hex. */
export function formatGprIdx(mask: number): string {
  if (mask & ~0xf) return '0x' + mask.toString(16);
  return `gpr_idx(${['SRC0', 'SRC1', 'SRC2', 'DST'].filter((_, i) => mask & (1 << i)).join(',')})`;
}
