// Scalar ALU with a 16-bit immediate (SOPK) and program control (SOPP): branches, barriers, s_endpgm,
// messages, traps, the wait counters (RDNA3 ISA guide ch. 16.3-16.5, CDNA3 ISA ch. 12 "SALU").
import { ShaderFault, type Instruction } from '../types.js';
import type { CompileContext, Handler } from './context.js';
import { scalarReader, scalarWriter } from './scalar-operands.js';
import { CMP, dst64, fault } from './salu-operands.js';
import { EXEC_HI, EXEC_LO, WaveStatus, type Wave } from './wave.js';
import { getHwReg, setHwReg } from './hwreg.js';

export function compileSopk(ctx: CompileContext, ins: Instruction): Handler {
  const op = ins.op;
  const sdst = ins.fields.sdst ?? 0;
  const d = scalarWriter(ctx.family, sdst);
  const raw = ins.fields.simm16 ?? 0;
  const simm = (raw << 16) >> 16;
  const cmp = /^s_cmpk_(eq|lg|gt|ge|lt|le)_(i32|u32)$/.exec(op);
  if (cmp) {
    const fn = CMP[cmp[1]!]!;
    if (cmp[2] === 'i32') return (w) => { w.scc = fn(w.S[sdst]! | 0, simm) ? 1 : 0; };
    return (w) => { w.scc = fn(w.S[sdst]!, raw) ? 1 : 0; };
  }
  switch (op) {
    case 's_movk_i32':
      return (w) => d(w, simm >>> 0);
    case 's_cmovk_i32':
      return (w) => { if (w.scc) d(w, simm >>> 0); };
    case 's_addk_i32':
      return (w) => {
        const x = w.S[sdst]! | 0, r = (x + simm) | 0;
        d(w, r >>> 0);
        w.scc = (x >= 0) === (simm >= 0) && (r >= 0) !== (x >= 0) ? 1 : 0;
      };
    case 's_mulk_i32':
      return (w) => d(w, Math.imul(w.S[sdst]!, simm) >>> 0);
    case 's_getreg_b32':
      return (w) => d(w, getHwReg(w, raw, ins));
    case 's_setreg_b32': {
      const v = scalarReader(ctx.family, sdst, 'b32', undefined);
      return (w) => setHwReg(w, raw, v(w), ins);
    }
    case 's_setreg_imm32_b32': {
      const lit = ins.literal ?? 0;
      return (w) => setHwReg(w, raw, lit, ins);
    }
    case 's_call_b64': {
      const [dl, dh] = dst64(ctx, ins);
      return (w) => {
        dl(w, w.pc % 2 ** 32);
        dh(w, Math.floor(w.pc / 2 ** 32));
        w.pc += simm * 4;
      };
    }
    case 's_waitcnt_vscnt':
    case 's_waitcnt_vmcnt':
    case 's_waitcnt_expcnt':
    case 's_waitcnt_lgkmcnt':
    case 's_version':
      return () => {};
  }
  throw fault(ins);
}

/** Messages a compute wave may send and that need no action here (RDNA3 MSG_DEALLOC_VGPRS = 3). */
const HARMLESS_MESSAGES: Record<string, readonly number[]> = { rdna3: [3], rdna4: [3], cdna3: [], cdna2: [] };

/**
 * SOPP operations with no effect on the emulated wave: hints, priorities, and the wait counters
 * (memory operations complete before the next instruction here, so every wait is already satisfied).
 */
export const SOPP_NO_EFFECT: ReadonlySet<string> = new Set([
  's_nop', 's_waitcnt', 's_clause', 's_delay_alu', 's_waitcnt_depctr', 's_sleep', 's_setprio', 's_icache_inv',
  's_incperflevel', 's_decperflevel', 's_ttracedata', 's_inst_prefetch', 's_set_inst_prefetch_distance', 's_wait_idle',
  's_code_end', 's_wait_event', 's_sleep_var',
  // gfx12 split counters
  's_wait_loadcnt', 's_wait_storecnt', 's_wait_samplecnt', 's_wait_bvhcnt', 's_wait_expcnt', 's_wait_dscnt', 's_wait_kmcnt',
  's_wait_loadcnt_dscnt', 's_wait_storecnt_dscnt', 's_wait_alu',
]);

export function compileSopp(ctx: CompileContext, ins: Instruction): Handler {
  const raw = ins.fields.simm16 ?? 0;
  const simm = (raw << 16) >> 16;
  const op = ins.op;
  const branch = (cond: (w: Wave) => boolean): Handler => (w) => { if (cond(w)) w.pc += simm * 4; };
  const wave64 = ctx.waveSize === 64;
  if (SOPP_NO_EFFECT.has(op)) return () => {};
  switch (op) {
    // gfx12 splits s_barrier into s_barrier_signal (SOP1) and s_barrier_wait: the wait is where the wave stops.
    case 's_barrier_wait':
      return ctx.family === 'rdna4' ? (w) => { w.status = WaveStatus.Barrier; } : () => {};
    case 's_endpgm':
    case 's_endpgm_saved':
      return (w) => { w.status = WaveStatus.Done; };
    case 's_barrier':
      return (w) => { w.status = WaveStatus.Barrier; };
    case 's_branch':
      return (w) => { w.pc += simm * 4; };
    case 's_cbranch_scc0': return branch((w) => w.scc === 0);
    case 's_cbranch_scc1': return branch((w) => w.scc === 1);
    case 's_cbranch_vccz': return branch((w) => (w.S[106]! | (wave64 ? w.S[107]! : 0)) === 0);
    case 's_cbranch_vccnz': return branch((w) => (w.S[106]! | (wave64 ? w.S[107]! : 0)) !== 0);
    case 's_cbranch_execz': return branch((w) => (w.S[EXEC_LO]! | (wave64 ? w.S[EXEC_HI]! : 0)) === 0);
    case 's_cbranch_execnz': return branch((w) => (w.S[EXEC_LO]! | (wave64 ? w.S[EXEC_HI]! : 0)) !== 0);
    case 's_sendmsg':
    case 's_sendmsghalt': {
      const id = raw & 0xff;
      if (HARMLESS_MESSAGES[ctx.family]!.includes(id)) return () => {};
      break;
    }
    case 's_trap':
      return (w) => { throw new ShaderFault(w.pc - ins.size, 'trap', `s_trap ${raw & 0xff} at 0x${ins.pc.toString(16)}`); };
    case 's_sethalt':
      return (raw & 1) === 0 ? () => {} : () => { throw new ShaderFault(ins.pc, 'halt', `s_sethalt at 0x${ins.pc.toString(16)}`); };
    case 's_setkill':
      return () => {};
    case 's_round_mode':
      return (w) => { w.mode = (w.mode & ~0xf) | (raw & 0xf); };
    case 's_denorm_mode':
      return (w) => { w.mode = (w.mode & ~0xf0) | ((raw & 0xf) << 4); };
  }
  throw fault(ins);
}
