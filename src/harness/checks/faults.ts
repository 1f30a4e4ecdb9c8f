// Deliberate failures: a VM fault must be reported with its address, a hang must be detected and
// the queue state dumped.
import { Pm4Queue } from '../../driver/queues/pm4-queue.js';
import { GpuFaultError, WaitTimeoutError } from '../../driver/errors.js';
import { pm4Header } from '../../hw/pm4/opcodes.js';
import { expect, type Check } from '../check.js';

/** An address inside the GPUVM aperture that nothing maps (high in the range, page aligned). */
function unmappedVa(limit: bigint): bigint {
  return ((limit - (1n << 32n)) & ~0xfffn) + 0x40n;
}

export const vmFault: Check = {
  name: 'fault.vm',
  proves: 'a GPU write to an unmapped address ends in a memory-exception event naming that address',
  run({ device, timeoutMs }) {
    const q = Pm4Queue.create(device);
    const va = unmappedVa(device.apertures.gpuvmLimit);
    try {
      const c = q.submit(q.builder().writeData(va, [1]).dwords, { label: 'write to unmapped memory' });
      try {
        q.wait(c, timeoutMs);
      } catch (e) {
        expect(e instanceof GpuFaultError, `expected a GPU memory fault, got: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
        expect(e.va === (va & ~0xfffn), `fault reported at 0x${e.va.toString(16)}, the write went to page 0x${(va & ~0xfffn).toString(16)}`);
        return `memory exception at 0x${e.va.toString(16)} (${e.faultKind})`;
      }
      throw new Error(`the write to unmapped 0x${va.toString(16)} completed without a fault`);
    } finally {
      q.destroy();
    }
  },
};

export const hangDetect: Check = {
  name: 'fault.hang',
  proves: 'a queue stuck on an invalid packet is detected by a wait timeout that dumps the ring around the read pointer',
  run({ device }) {
    const q = Pm4Queue.create(device);
    try {
      const bad = Uint32Array.of(pm4Header(0xee, 2), 0, 0);
      const c = q.submit(q.builder().nop(2).raw(bad).dwords, { label: 'invalid packet' });
      try {
        q.wait(c, 500);
      } catch (e) {
        expect(e instanceof WaitTimeoutError, `expected a wait timeout, got: ${e instanceof Error ? e.message : String(e)}`);
        expect(/=> .*unknown PM4 opcode 0xee/.test(e.message), `the dump does not point at the invalid packet:\n${e.message}`);
        return `timed out after 500 ms; dump points at: ${e.message.split('\n').find((l) => l.startsWith('=>'))?.trim()}`;
      }
      throw new Error('a queue with an invalid packet completed its fence');
    } finally {
      q.destroy();
    }
  },
};
