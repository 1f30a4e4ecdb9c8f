// Fuzz target "decoders": the PM4, SDMA and AQL packet decoders and printers (shared by `amdgpu-ts
// decode`, the emulated engines and hang reports) and the ISA disassembler, fed random streams: raw
// dwords, real packet headers with random counts and bodies, truncated tails. They must return
// packets (an invalid one carries its error and ends the stream), never throw, never loop: every
// packet has a size of at least one dword and lies inside the stream unless it is the error that ends it.
import * as fc from 'fast-check';
import { decodePm4, formatPm4Packet } from '../../hw/pm4/decode.js';
import { PM4_OP, pm4Header } from '../../hw/pm4/opcodes.js';
import { decodeSdma, formatSdmaPacket } from '../../hw/sdma/decode.js';
import { SDMA_OP, type SdmaVersion } from '../../hw/sdma/packets.js';
import { decodeAqlPacket, formatAqlPacket } from '../../hw/aql.js';
import { disassemble } from '../../emu/isa/disasm.js';
import type { GfxFamily } from '../../hw/targets.js';
import type { IsaFamily } from '../../emu/isa/types.js';
import { bump, expectTyped, FuzzViolation, type FuzzTarget, type TargetSession } from './target.js';

const FAMILIES: readonly GfxFamily[] = ['gfx9', 'gfx10', 'gfx11', 'gfx12'];
const SDMA_VERSIONS: readonly SdmaVersion[] = [4, 5, 6, 7];
const ISA_FAMILIES: readonly IsaFamily[] = ['rdna3', 'cdna3', 'cdna2'];
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

/** A PM4 stream: raw words and real type-3 headers (known opcodes, random body counts) with random bodies. */
const pm4Stream = fc
  .array(
    fc.oneof(
      { weight: 1, arbitrary: fc.array(u32, { minLength: 1, maxLength: 8 }) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.constantFrom(...Object.values(PM4_OP), 0x0c, 0xff), fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0x3fff, 0x4000)), fc.array(u32, { maxLength: 12 }), fc.boolean()).map(([op, body, words, compute]) => [pm4Header(op, body, compute), ...words]),
      },
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.flat());

/** An SDMA stream: raw words and headers of every op (sub-ops 0-3) with random bodies. */
const sdmaStream = fc
  .array(
    fc.oneof(
      { weight: 1, arbitrary: fc.array(u32, { minLength: 1, maxLength: 8 }) },
      {
        weight: 3,
        arbitrary: fc.tuple(fc.constantFrom(...Object.values(SDMA_OP), 0x20, 0x3e, 0xff), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff }), fc.array(u32, { maxLength: 12 })).map(([op, sub, top, words]) => [(op | (sub << 8) | (top << 16)) >>> 0, ...words]),
      },
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.flat());

/** An AQL packet: random 64 bytes with a header of each packet type. */
const aqlPacket = fc.tuple(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xff }), fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.integer({ min: 0, max: 7 })).map(([type, hi, bytes, format]) => {
  const b = bytes.slice();
  b[0] = type % 3 === 0 ? type : type % 8;
  b[1] = hi;
  b[2] = format;
  return b;
});

/** Checks a decoded stream's shape: sizes positive, packets contiguous, only the last may be an error. */
function checkStream(kind: string, packets: readonly { offset: number; size: number; error?: string }[], length: number): void {
  let at = 0;
  packets.forEach((p, i) => {
    if (p.offset !== at) throw new FuzzViolation(`${kind}: packet ${i} at dword ${p.offset}, expected ${at}`);
    if (!(p.size >= 1)) throw new FuzzViolation(`${kind}: packet ${i} has size ${p.size}`);
    if (p.error && i !== packets.length - 1) throw new FuzzViolation(`${kind}: invalid packet ${i} is not the last`);
    if (!p.error && p.offset + p.size > length) throw new FuzzViolation(`${kind}: packet ${i} [${p.offset}, +${p.size}) runs past the ${length}-dword stream without an error`);
    at += p.size;
  });
  if (packets.length && !packets[packets.length - 1]!.error && at !== length) throw new FuzzViolation(`${kind}: decoding stopped at dword ${at} of ${length} without an error`);
}

export const decodersTarget: FuzzTarget = {
  name: 'decoders',
  what: 'PM4 / SDMA / AQL decoders and printers, ISA disassembler ← random packet streams and words',
  batch: 400,
  open(): TargetSession {
    const counts = new Map<string, number>();
    const input = fc.oneof(
      fc.record({ kind: fc.constant('pm4' as const), family: fc.constantFrom(...FAMILIES), dwords: pm4Stream }),
      fc.record({ kind: fc.constant('sdma' as const), version: fc.constantFrom(...SDMA_VERSIONS), dwords: sdmaStream }),
      fc.record({ kind: fc.constant('aql' as const), packet: aqlPacket }),
      fc.record({ kind: fc.constant('isa' as const), family: fc.constantFrom(...ISA_FAMILIES), words: fc.array(u32, { minLength: 1, maxLength: 16 }) }),
    );
    const property = fc.property(input, (inp) => {
      const run = (what: string, body: () => void): void => {
        // Decoders report invalid input inside their result: no error of any kind may be thrown.
        expectTyped(what, body, []);
      };
      switch (inp.kind) {
        case 'pm4':
          run(`PM4 decode (${inp.family})`, () => {
            const ps = decodePm4(inp.dwords, inp.family);
            checkStream('PM4', ps, inp.dwords.length);
            for (const p of ps) formatPm4Packet(p, inp.family);
            bump(counts, ps.some((p) => p.error) ? 'pm4: invalid packet reported' : 'pm4: decoded');
          });
          break;
        case 'sdma':
          run(`SDMA decode (v${inp.version})`, () => {
            const ps = decodeSdma(inp.dwords, inp.version);
            checkStream('SDMA', ps, inp.dwords.length);
            for (const p of ps) formatSdmaPacket(p, inp.version);
            bump(counts, ps.some((p) => p.error) ? 'sdma: invalid packet reported' : 'sdma: decoded');
          });
          break;
        case 'aql':
          run('AQL decode', () => {
            const p = decodeAqlPacket(new DataView(inp.packet.buffer, inp.packet.byteOffset, 64), 0);
            formatAqlPacket(p, 0);
            bump(counts, p.error ? 'aql: invalid packet reported' : 'aql: decoded');
          });
          break;
        case 'isa':
          run(`disassemble (${inp.family})`, () => {
            const bytes = new Uint8Array(new Uint32Array(inp.words).buffer);
            const lines = disassemble(inp.family, bytes, 0x1000);
            bump(counts, `isa: ${lines.length ? 'disassembled' : 'empty'}`);
          });
          break;
      }
      return true;
    });
    return { property, counts, close: async () => undefined };
  },
};
