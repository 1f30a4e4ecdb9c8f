// The register database against the kernel's header text: every register and field of every generated
// table is compared with the #define lines of test/fixtures/asic_reg (excerpts of the kernel's asic_reg
// headers, origins in its README), parsed here independently of scripts/gen-reg-tables.mjs; and a few
// values are pinned as read from the headers (file named on each line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTER_TABLES } from '../src/hw/regs/index.js';
import { REPO_ROOT } from './fixtures/topology/index.js';

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'asic_reg');

/** name → value of every `#define NAME 0x…` line. */
function defines(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)L?\s*$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]) >>> 0);
  }
  return out;
}

function header(source: string, kind: 'offset' | 'sh_mask'): Map<string, number> {
  const path = join(DIR, source.split('_')[0]!, `${source}_${kind}.h`);
  try {
    return defines(path);
  } catch {
    return new Map();
  }
}

test('regs golden: every generated register offset, BASE_IDX and field mask equals the header lines', () => {
  let registers = 0;
  let fields = 0;
  for (const t of REGISTER_TABLES) {
    const off = header(t.source, 'offset');
    const masks = header(t.source, 'sh_mask');
    assert.ok(off.size > 0, `${t.source}_offset.h excerpt missing`);
    for (const r of t.registers) {
      const offset = off.get(`reg${r.name}`) ?? off.get(`mm${r.name}`);
      assert.equal(offset, r.offset, `${t.block} ${t.version} ${r.name} offset`);
      assert.equal(off.get(`reg${r.name}_BASE_IDX`) ?? off.get(`mm${r.name}_BASE_IDX`) ?? 0, r.baseIndex, `${r.name} BASE_IDX`);
      const headerFields = [...masks].filter(([k]) => k.startsWith(`${r.name}__`) && k.endsWith('_MASK')).map(([k, v]) => ({ name: k.slice(r.name.length + 2, -5), mask: v }));
      assert.deepEqual(r.fields.map((f) => f.name).sort(), headerFields.map((f) => f.name).sort(), `${t.source} ${r.name}: the same fields`);
      for (const f of r.fields) {
        assert.equal(f.mask, headerFields.find((h) => h.name === f.name)!.mask, `${r.name}.${f.name} mask`);
        const shift = masks.get(`${r.name}__${f.name}__SHIFT`);
        if (shift !== undefined) assert.equal(f.shift, shift, `${r.name}.${f.name} shift`);
        assert.equal((f.mask >>> f.shift) & 1, 1, `${r.name}.${f.name}: the mask starts at the shift`);
        fields++;
      }
      registers++;
    }
  }
  assert.ok(registers >= 130 && fields >= 300, `${registers} registers, ${fields} fields compared`);
});

test('regs golden: sampled values as the kernel headers print them', () => {
  const reg = (block: string, version: string, name: string) => REGISTER_TABLES.find((t) => t.block === block && t.version === version)!.registers.find((r) => r.name === name)!;
  const mask = (block: string, version: string, name: string, field: string) => reg(block, version, name).fields.find((f) => f.name === field)?.mask;
  // sdma_4_4_2_offset.h: regSDMA_STATUS_REG 0x0025, regSDMA_F32_CNTL 0x0002, regSDMA_RLC0_RB_RPTR 0x0133, regSDMA_RLC1_RB_WPTR_HI 0x018e
  assert.equal(reg('SDMA0', '4.4.2', 'SDMA_STATUS_REG').offset, 0x25);
  assert.equal(reg('SDMA0', '4.4.2', 'SDMA_F32_CNTL').offset, 0x2);
  assert.equal(reg('SDMA0', '4.4.2', 'SDMA_RLC0_RB_RPTR').offset, 0x133);
  assert.equal(reg('SDMA0', '4.4.2', 'SDMA_RLC1_RB_WPTR_HI').offset, 0x18e);
  // sdma_4_4_2_sh_mask.h: SDMA_F32_CNTL__HALT_MASK 0x1, SDMA_STATUS_REG__SEM_RESP_STATE_MASK 0x30000000, __DRM_IDLE_MASK 0x00800000
  assert.equal(mask('SDMA0', '4.4.2', 'SDMA_F32_CNTL', 'HALT'), 0x1);
  assert.equal(mask('SDMA0', '4.4.2', 'SDMA_STATUS_REG', 'SEM_RESP_STATE'), 0x30000000);
  assert.equal(mask('SDMA0', '4.4.2', 'SDMA_STATUS_REG', 'DRM_IDLE'), 0x00800000);
  // sdma_4_4_0_offset.h: regSDMA0_F32_CNTL 0x002a (not 4.4.2's 0x0002), regSDMA0_RLC0_RB_WPTR 0x0135
  assert.equal(reg('SDMA0', '4.4.0', 'SDMA0_F32_CNTL').offset, 0x2a);
  assert.equal(reg('SDMA0', '4.4.0', 'SDMA0_RLC0_RB_WPTR').offset, 0x135);
  // sdma_4_4_0_sh_mask.h has no DRM_IDLE in SDMA0_STATUS_REG (4.4.2 does, bit 23)
  assert.equal(mask('SDMA0', '4.4.0', 'SDMA0_STATUS_REG', 'DRM_IDLE'), undefined);
  assert.equal(mask('SDMA0', '4.4.0', 'SDMA0_STATUS_REG', 'PREV_CMD_IDLE'), 0x02000000);
  // gc_11_0_0_offset.h: regSDMA0_QUEUE1_RB_WPTR 0x00dd (GC segment 0)
  assert.equal(reg('SDMA0', '6.0.0', 'SDMA0_QUEUE1_RB_WPTR').offset, 0xdd);
  // nbio_7_9_0_offset.h / nbio_4_3_0_offset.h: regBIF_BX0_BIOS_SCRATCH_3 0x003b, BASE_IDX 1; _7 0x003f
  for (const v of ['7.9.0', '4.3.0']) {
    assert.deepEqual([reg('NBIO', v, 'BIF_BX0_BIOS_SCRATCH_3').offset, reg('NBIO', v, 'BIF_BX0_BIOS_SCRATCH_3').baseIndex], [0x3b, 1]);
    assert.equal(reg('NBIO', v, 'BIF_BX0_BIOS_SCRATCH_7').offset, 0x3f);
  }
  // gc_9_4_3_sh_mask.h: CP_CPC_STATUS__CPC_BUSY_MASK 0x80000000, __MEC1_BUSY_MASK 0x1; CP_CPF_STATUS__GRBM_CPF_STAT_BUSY_MASK 0x30000000;
  // GRBM_SOFT_RESET__SOFT_RESET_UTCL2_MASK 0x00800000
  assert.equal(mask('GC', '9.4.3', 'CP_CPC_STATUS', 'CPC_BUSY'), 0x80000000);
  assert.equal(mask('GC', '9.4.3', 'CP_CPC_STATUS', 'MEC1_BUSY'), 0x1);
  assert.equal(mask('GC', '9.4.3', 'CP_CPF_STATUS', 'GRBM_CPF_STAT_BUSY'), 0x30000000);
  assert.equal(mask('GC', '9.4.3', 'GRBM_SOFT_RESET', 'SOFT_RESET_UTCL2'), 0x00800000);
  assert.equal(reg('GC', '9.4.3', 'CP_CPC_BUSY_STAT').fields.length, 28);
});
