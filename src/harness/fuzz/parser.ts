// Fuzz target "parser": the code-object reader and loader (ELF headers, program and section headers,
// symbols, notes, NT_AMDGPU_METADATA msgpack, relocations, offload bundles) fed damaged copies of the
// corpus code objects: bit flips, truncation, header fields set to huge offsets and counts, sections
// moved onto each other, note sizes and metadata rewritten. Every input must load or be refused with
// an input error (ElfError, MetadataError, RelocationError, …): nothing else may escape.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { decode, encode } from '@msgpack/msgpack';
import { loadCodeObject, decodeMetadata, parseOffloadBundle, BUNDLE_MAGIC } from '../../codeobj/index.js';
import { packagePath } from '../../os/package-root.js';
import { bump, expectTyped, FuzzViolation, since, type FuzzTarget, type TargetSession } from './target.js';

/** A single load may not take longer than this (a huge count must be refused, not iterated). */
const LOAD_BOUND_MS = 2000;

/** ELF64 field offsets: System V gABI. [offset, bytes] */
const EHDR_FIELDS: readonly (readonly [number, number])[] = [
  [16, 2], [18, 2], [24, 8], [32, 8], [40, 8], [48, 4], [52, 2], [54, 2], [56, 2], [58, 2], [60, 2], [62, 2], [4, 1], [5, 1], [7, 1], [8, 1],
];
const PHDR_FIELDS: readonly (readonly [number, number])[] = [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 8], [40, 8], [48, 8]];
const SHDR_FIELDS: readonly (readonly [number, number])[] = [[0, 4], [4, 4], [8, 8], [16, 8], [24, 8], [32, 8], [40, 4], [44, 4], [48, 8], [56, 8]];

/** Values that break parsers: zero, one, the edges of each width, just past 2^53, page sizes. */
const INTERESTING: readonly bigint[] = [0n, 1n, 2n, 7n, 8n, 0x40n, 0x100n, 0x1000n, 0x7fffn, 0xffffn, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'field'; table: 'ehdr' | 'phdr' | 'shdr'; index: number; field: number; value: bigint }
  | { kind: 'overlap'; a: number; b: number; grow: bigint }
  | { kind: 'note'; noteField: number; value: bigint }
  | { kind: 'bytes'; at: number; data: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('field' as const),
      table: fc.constantFrom('ehdr' as const, 'phdr' as const, 'shdr' as const),
      index: fc.nat({ max: 40 }),
      field: fc.nat({ max: 15 }),
      value: fc.oneof(fc.constantFrom(...INTERESTING), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: 0x10000n })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('overlap' as const), a: fc.nat({ max: 40 }), b: fc.nat({ max: 40 }), grow: fc.oneof(fc.constant(0n), fc.constantFrom(...INTERESTING)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('note' as const), noteField: fc.nat({ max: 2 }), value: fc.oneof(fc.constantFrom(...INTERESTING), fc.bigInt({ min: 0n, max: 0xffff_ffffn })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), data: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
);

function putLe(dv: DataView, at: number, bytes: number, value: bigint): void {
  if (at < 0 || at + bytes > dv.byteLength) return;
  for (let i = 0; i < bytes; i++) dv.setUint8(at + i, Number((value >> BigInt(8 * i)) & 0xffn));
}

/** Reads the table geometry of the (possibly already damaged) file, tolerating nonsense. */
function geometry(dv: DataView): { phoff: number; phent: number; phnum: number; shoff: number; shent: number; shnum: number } {
  if (dv.byteLength < 64) return { phoff: 0, phent: 56, phnum: 0, shoff: 0, shent: 64, shnum: 0 };
  const n = (v: bigint): number => (v > 1n << 40n ? -1 : Number(v));
  return { phoff: n(dv.getBigUint64(32, true)), phent: dv.getUint16(54, true), phnum: dv.getUint16(56, true), shoff: n(dv.getBigUint64(40, true)), shent: dv.getUint16(58, true), shnum: dv.getUint16(60, true) };
}

function shdrAt(dv: DataView, index: number): number {
  const g = geometry(dv);
  if (g.shnum === 0 || g.shoff < 0) return -1;
  return g.shoff + (index % g.shnum) * g.shent;
}

/** Offset of the first note section's body, for note-header damage. */
function firstNote(dv: DataView): number {
  const g = geometry(dv);
  for (let i = 0; i < g.shnum && g.shoff >= 0; i++) {
    const o = g.shoff + i * g.shent;
    if (o + 64 > dv.byteLength) break;
    if (dv.getUint32(o + 4, true) === 7) {
      const off = dv.getBigUint64(o + 24, true);
      return off < BigInt(dv.byteLength) ? Number(off) : -1;
    }
  }
  return -1;
}

export function applyMutation(input: Uint8Array, m: Mutation): Uint8Array {
  let bytes = input;
  if (m.kind === 'truncate') return bytes.slice(0, m.keep % (bytes.length + 1));
  bytes = bytes.slice();
  const dv = new DataView(bytes.buffer);
  switch (m.kind) {
    case 'flip':
      if (bytes.length) bytes[m.at % bytes.length]! ^= 1 << m.bit;
      break;
    case 'bytes':
      if (bytes.length) bytes.set(m.data.subarray(0, Math.max(0, bytes.length - (m.at % bytes.length))), m.at % bytes.length);
      break;
    case 'field': {
      const g = geometry(dv);
      if (m.table === 'ehdr') {
        const [o, w] = EHDR_FIELDS[m.field % EHDR_FIELDS.length]!;
        putLe(dv, o, w, m.value);
      } else if (m.table === 'phdr') {
        if (g.phnum === 0 || g.phoff < 0) break;
        const [o, w] = PHDR_FIELDS[m.field % PHDR_FIELDS.length]!;
        putLe(dv, g.phoff + (m.index % g.phnum) * g.phent + o, w, m.value);
      } else {
        const at = shdrAt(dv, m.index);
        const [o, w] = SHDR_FIELDS[m.field % SHDR_FIELDS.length]!;
        if (at >= 0) putLe(dv, at + o, w, m.value);
      }
      break;
    }
    case 'overlap': {
      // Section b's body is moved onto section a's (same sh_offset), optionally made larger.
      const a = shdrAt(dv, m.a), b = shdrAt(dv, m.b);
      if (a < 0 || b < 0 || a + 64 > bytes.length || b + 64 > bytes.length) break;
      dv.setBigUint64(b + 24, dv.getBigUint64(a + 24, true), true);
      if (m.grow) dv.setBigUint64(b + 32, (dv.getBigUint64(b + 32, true) + m.grow) & ((1n << 64n) - 1n), true);
      // and the same for the addresses the loader places them at
      dv.setBigUint64(b + 16, dv.getBigUint64(a + 16, true), true);
      break;
    }
    case 'note': {
      const at = firstNote(dv);
      if (at >= 0) putLe(dv, at + 4 * m.noteField, 4, m.value);
      break;
    }
  }
  return bytes;
}

/** Metadata maps damaged at one key: a value of the wrong type, a hostile key, or a deleted key. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, -1, 2 ** 40, 1.5, NaN, '', 'x'.repeat(300), new Uint8Array(3), [], {}, [[]], { toString: 1 }, { valueOf: {} }),
  fc.anything({ maxDepth: 2, withNullPrototype: false }),
);

const metadataDamage = fc.record({
  path: fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 }),
  value: fc.option(hostileValue, { nil: undefined }),
  key: fc.option(fc.constantFrom('toString', 'valueOf', '__proto__', 'constructor', '.args', '.name', '.size', '.offset', '.value_kind', '.kernarg_segment_size'), { nil: undefined }),
});

/** Replaces (or deletes, or adds a hostile key to) the node the path leads to. */
function damageMetadata(root: unknown, d: { path: number[]; value: unknown; key: string | undefined }): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let node: unknown = copy;
  for (let i = 0; i < d.path.length; i++) {
    if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) break;
    const keys = Object.keys(node);
    if (!keys.length) break;
    const k = keys[d.path[i]! % keys.length]!;
    const rec = node as Record<string, unknown>;
    if (i === d.path.length - 1 || !rec[k] || typeof rec[k] !== 'object' || ArrayBuffer.isView(rec[k])) {
      if (d.key !== undefined) Object.defineProperty(rec, d.key, { value: d.value ?? 0, enumerable: true, configurable: true, writable: true });
      else if (d.value === undefined) delete rec[k];
      else rec[k] = d.value;
      break;
    }
    node = rec[k];
  }
  return copy;
}

function corpus(): { name: string; bytes: Uint8Array; metadata: unknown }[] {
  const dir = packagePath('test/kernels');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.co'))
    .sort()
    .map((f) => {
      const bytes = new Uint8Array(readFileSync(join(dir, f)));
      const co = loadCodeObject(bytes);
      const note = co.elf.notes().find((n) => n.type === 32)!;
      return { name: f, bytes, metadata: decode(note.desc, { useBigInt64: false }) };
    });
}

/** One load as the driver does it: parse, check the target, plan, relocate, look up every kernel. */
function loadAll(bytes: Uint8Array, target: string | undefined): void {
  const co = loadCodeObject(bytes, target ? { target } : {});
  co.relocate(0x7_0000_0000n);
  for (const name of co.kernels.keys()) co.kernel(name);
}

export const parserTarget: FuzzTarget = {
  name: 'parser',
  what: 'code-object reader and loader ← damaged corpus ELFs, metadata and bundles',
  batch: 600,
  open(): TargetSession {
    const files = corpus();
    const counts = new Map<string, number>();
    const check = (what: string, body: () => void): void => {
      const start = performance.now();
      const r = expectTyped(what, body);
      const ms = since(start);
      if (ms > LOAD_BOUND_MS) throw new FuzzViolation(`${what}: took ${ms.toFixed(0)} ms (bound ${LOAD_BOUND_MS} ms)`);
      bump(counts, r === 'ok' ? 'loaded' : 'refused (input error)');
    };
    const input = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('elf' as const), file: fc.nat(), mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }), withTarget: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('metadata' as const), file: fc.nat(), damage: fc.array(metadataDamage, { minLength: 1, maxLength: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('bundle' as const), file: fc.nat(), entries: fc.array(fc.tuple(fc.constantFrom(...INTERESTING), fc.constantFrom(...INTERESTING), fc.nat({ max: 300 })), { maxLength: 3 }), tail: fc.uint8Array({ maxLength: 64 }), count: fc.constantFrom(...INTERESTING) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), file: fc.nat(), bytes: fc.uint8Array({ maxLength: 512 }), magic: fc.boolean() }) },
    );
    const property = fc.property(input, (inp) => {
      const f = files[inp.file % files.length]!;
      const target = /\.(gfx[0-9a-f]+)\./.exec(f.name)![1]!;
      switch (inp.kind) {
        case 'elf': {
          let b = f.bytes;
          for (const m of inp.mutations) b = applyMutation(b, m);
          check(`load ${f.name} damaged`, () => loadAll(b, inp.withTarget ? target : undefined));
          return true;
        }
        case 'metadata': {
          let md = f.metadata;
          for (const d of inp.damage) md = damageMetadata(md, d);
          let blob: Uint8Array;
          try {
            blob = encode(md, { ignoreUndefined: true });
          } catch {
            bump(counts, 'skipped (metadata not encodable)');
            return true;
          }
          check(`metadata of ${f.name} damaged`, () => void decodeMetadata(blob));
          return true;
        }
        case 'bundle': {
          // __CLANG_OFFLOAD_BUNDLE__, u64 count, then per entry u64 offset, u64 size, u64 id length, id.
          const parts: number[] = [...new TextEncoder().encode(BUNDLE_MAGIC)];
          const u64 = (v: bigint): void => {
            for (let i = 0; i < 8; i++) parts.push(Number((v >> BigInt(8 * i)) & 0xffn));
          };
          u64(inp.count % 4n === 0n ? BigInt(inp.entries.length) : inp.count);
          for (const [off, size, idLen] of inp.entries) {
            u64(off);
            u64(size);
            u64(BigInt(idLen));
            parts.push(...new TextEncoder().encode('hipv4-amdgcn-amd-amdhsa--gfx1100').subarray(0, idLen));
          }
          const b = new Uint8Array([...parts, ...inp.tail, ...f.bytes.subarray(0, 256)]);
          check('offload bundle load', () => {
            parseOffloadBundle(b);
            loadAll(b, target);
          });
          return true;
        }
        case 'random': {
          const b = inp.magic ? new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 64, 3, ...inp.bytes]) : inp.bytes;
          check('random bytes', () => loadAll(b, undefined));
          return true;
        }
      }
    });
    return { property, counts, close: async () => undefined };
  },
};
