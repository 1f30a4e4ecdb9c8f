// A render-node submission whose IB cannot run: the kernel accepts it (amdgpu_cs_patch_ibs checks IB
// addresses only for the UVD/VCE rings), the ring faults or hangs when it runs, and the emulated kernel
// does what amdgpu_job_timedout does — the job's fence gets ETIME, later jobs of the ring ECANCELED, the
// context turns guilty (amdgpu_cs_parser_init then refuses it with ECANCELED) and the ring restarts — and
// keeps the engine's report naming the ring with the IB decoded. The emulator itself never fails.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as drm from '../src/uapi/drm.js';
import { Pm4Builder } from '../src/hw/pm4/builder.js';
import { SdmaBuilder } from '../src/hw/sdma/builder.js';
import { sdmaVersionOf } from '../src/hw/sdma/decode.js';
import { absTimeout, ibChunk, withDrm, type Gem, type RawDrm } from './support/raw-drm.js';

const H = drm.AMDGPU_HW_IP;
const D = drm.AMDGPU_GEM_DOMAIN;
/** A VA nothing maps (well inside the user range). */
const UNMAPPED = 0x7000_0000_0000n;

function put(g: Gem, dw: Uint32Array, at = 0): void {
  g.cpu.bytes.set(new Uint8Array(dw.buffer, dw.byteOffset, dw.byteLength), at);
}

function query2(d: RawDrm, ctx: number): bigint {
  const bytes = drm.ctxArgs.encode({ in: { op: drm.AMDGPU_CTX_OP.QUERY_STATE2, flags: 0, ctx_id: ctx, priority: 0 } });
  d.host.ioctl(d.fd, drm.DRM_IOC.AMDGPU_CTX.request, bytes);
  return drm.ctxOutState.decode(bytes).flags;
}

for (const spec of ['emu:gfx1100', 'emu:gfx942']) {
  describe(`hung render-node rings on ${spec}`, () => {
    test('an IB outside mapped VA on COMPUTE: CS accepts it, the ring faults, WAIT_CS → ETIME, the report names comp_1.0.0 and the IB; the guilty context is refused, a new one runs', () =>
      withDrm(spec, (d) => {
        const ctx = d.ctx();
        const c = d.cs(ctx, [ibChunk(UNMAPPED, 16, H.COMPUTE)]);
        assert.equal(c.errno, 'OK');
        assert.equal(d.waitCs(ctx, H.COMPUTE, c.seq, absTimeout(5000)).errno, 'ETIME');
        const hangs = d.host.ringHangs();
        assert.equal(hangs.length, 1);
        const h = hangs[0]!;
        assert.equal(h.ring, 'comp_1.0.0');
        assert.match(h.reason, /^ring comp_1\.0\.0 hung: GPU VM fault \(not-present\) on read at 0x700000000000 by CP \(kernel ring comp_1\.0\.0\)/);
        assert.equal(h.report?.fault?.va, '0x700000000000');
        assert.equal(h.report?.ring, 'comp_1.0.0');
        // The ring holds what gfx_v*_ring_emit_ib_compute and _emit_fence write: the IB, then an end-of-pipe
        // RELEASE_MEM of the ring's sequence number (32-bit data, interrupt after the write).
        assert.match(h.report!.packets[0]!, /^ {3}\[ +0\] INDIRECT_BUFFER ib_base=0x700000000000 ib_size=0x10 .*valid=1/);
        assert.match(h.report!.packets[1]!, /^=> \[ +4\] RELEASE_MEM event_type=CACHE_FLUSH_AND_INV_TS_EVENT event_index=5 .*int_sel=int_after_write data_sel=data32 addr=0x[0-9a-f]+ data=0x1 /);
        const packets = h.report!.packets.join('\n');
        assert.match(packets, /indirect buffer 0x700000000000 \(16 dwords\), at dword 0:/);
        assert.match(packets, /IB unreadable: GPU VM fault/);
        // amdgpu_ctx_query2: RESET is not tracked, GUILTY (4) is; the context is refused from now on.
        assert.equal(query2(d, ctx) & 4n, 4n);
        const ib = d.gem(4096);
        const dst = d.gem(4096, D.VRAM);
        const dw = new Pm4Builder(d.family).writeData(dst.va, [0x600d]).dwords;
        put(ib, dw);
        assert.equal(d.cs(ctx, [ibChunk(ib.va, dw.length, H.COMPUTE)]).errno, 'ECANCELED');
        const fresh = d.ctx();
        const ok = d.cs(fresh, [ibChunk(ib.va, dw.length, H.COMPUTE)]);
        assert.deepEqual(d.waitCs(fresh, H.COMPUTE, ok.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.equal(new DataView(dst.cpu.bytes.buffer, dst.cpu.bytes.byteOffset).getUint32(0, true), 0x600d);
        // The KFD side of the process was not evicted by a kernel ring's fault.
        assert.ok(d.host.engineStatus().every((s) => s.evicted === null));
      }));

    test('a malformed PM4 IB hangs the ring with the offending packet decoded; a job queued behind it is cancelled (ECANCELED)', () =>
      withDrm(spec, (d) => {
        const ctx = d.ctx();
        const other = d.ctx();
        const ib = d.gem(4096);
        const good = new Pm4Builder(d.family).nop(2).dwords;
        put(ib, good);
        // A type-3 header with opcode 0xee, which no CP knows.
        put(ib, Uint32Array.of(0xc000ee00, 0), good.length * 4);
        const flag = d.gem(4096);
        const wait = new Pm4Builder(d.family).waitMem32(flag.va, 'EQ', 1).dwords;
        put(ib, wait, 1024);
        // First a job that waits on the CPU (so the bad one queues behind it), then the bad one, then one more.
        const a = d.cs(other, [ibChunk(ib.va + 1024n, wait.length, H.COMPUTE)]);
        const bad = d.cs(ctx, [ibChunk(ib.va, good.length + 2, H.COMPUTE)]);
        const after = d.cs(other, [ibChunk(ib.va, good.length, H.COMPUTE)]);
        assert.deepEqual([a.errno, bad.errno, after.errno], ['OK', 'OK', 'OK']);
        new DataView(flag.cpu.bytes.buffer, flag.cpu.bytes.byteOffset).setUint32(0, 1, true);
        assert.deepEqual(d.waitCs(other, H.COMPUTE, a.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.equal(d.waitCs(ctx, H.COMPUTE, bad.seq, absTimeout(5000)).errno, 'ETIME');
        assert.equal(d.waitCs(other, H.COMPUTE, after.seq, absTimeout(5000)).errno, 'ECANCELED');
        const h = d.host.ringHangs()[0]!;
        assert.equal(h.ring, 'comp_1.0.0');
        assert.match(h.reason, /in indirect buffer 0x[0-9a-f]+ at dword 2/);
        assert.match(h.report!.packets.join('\n'), /=> .*0xc000ee00|=> .*opcode 0xee|=> .*UNKNOWN/i);
        // Only the context whose job hung is guilty.
        assert.deepEqual([query2(d, ctx) & 4n, query2(d, other) & 4n], [4n, 0n]);
      }));

    test('an SDMA IB outside mapped VA on DMA: the ring sdma0 faults, WAIT_CS → ETIME, the report decodes the IB packet that pointed there', () =>
      withDrm(spec, (d) => {
        const ctx = d.ctx();
        const c = d.cs(ctx, [ibChunk(UNMAPPED, 8, H.DMA)]);
        assert.equal(c.errno, 'OK');
        assert.equal(d.waitCs(ctx, H.DMA, c.seq, absTimeout(5000)).errno, 'ETIME');
        const h = d.host.ringHangs()[0]!;
        assert.equal(h.ring, 'sdma0');
        assert.equal(h.report?.fault?.va, '0x700000000000');
        // sdma_v*_ring_emit_ib pads with NOPs so the 6-dword IB packet ends on an 8-dword boundary, then
        // _emit_fence writes FENCE with the sequence number and a TRAP.
        assert.deepEqual(h.report!.packets.slice(0, 5).map((l) => /\] (\w+)/.exec(l)?.[1]), ['NOP', 'NOP', 'INDIRECT_BUFFER', 'FENCE', 'TRAP']);
        assert.match(h.report!.packets[2]!, /\[byte 8\] INDIRECT_BUFFER vmid=1 ib_base=0x700000000000 ib_size=0x8 csa_addr=0x0/);
        assert.match(h.report!.packets[3]!, /FENCE .*data=0x1$/);
        // The ring runs again for a new context.
        const fresh = d.ctx();
        const ib = d.gem(4096);
        const dst = d.gem(4096);
        const dw = new SdmaBuilder(sdmaVersionOf(d.host.gpus[0]!.target.sdma)).fill(dst.va, 0x1234, 16).dwords;
        put(ib, dw);
        const ok = d.cs(fresh, [ibChunk(ib.va, dw.length, H.DMA)]);
        assert.deepEqual(d.waitCs(fresh, H.DMA, ok.seq, absTimeout(5000)), { errno: 'OK', busy: 0n });
        assert.equal(new DataView(dst.cpu.bytes.buffer, dst.cpu.bytes.byteOffset).getUint32(12, true), 0x1234);
      }));
  });
}
