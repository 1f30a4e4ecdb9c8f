// `amdgpu-ts decode`: prints a PM4, SDMA or AQL stream packet by packet, with field and register names.
import { parseArgs, optionHelp, UsageError, type OptionSpec } from './args.js';
import { targetByName, TARGETS, type GpuTarget } from '../hw/targets.js';
import { decodePm4, formatPm4Packet } from '../hw/pm4/decode.js';
import { decodeSdma, formatSdmaPacket, sdmaVersionOf } from '../hw/sdma/decode.js';
import { decodeAqlPacket, formatAqlPacket, AQL_PACKET_BYTES } from '../hw/aql.js';
import type { CommandIo } from './io.js';
import { readInputFile } from './input.js';
import { EXIT_STATUS_HELP } from './report-error.js';

const ENGINES = ['pm4', 'sdma', 'aql'] as const;
type Engine = (typeof ENGINES)[number];
const INPUT_FORMATS = ['auto', 'hex', 'bin'] as const;
type InputFormat = (typeof INPUT_FORMATS)[number];
const DEFAULT_TARGET = 'gfx1100';

const OPTIONS: readonly OptionSpec[] = [
  { name: 'engine', value: 'E', help: 'pm4 (default), sdma, or aql (64-byte HSA packets)' },
  { name: 'gfx', value: 'TARGET', help: `GPU target, e.g. gfx942 or gfx1201 (default ${DEFAULT_TARGET}); picks the PM4 generation and the SDMA version` },
  { name: 'input', value: 'F', help: 'auto (default), hex (text of hex dwords) or bin (little-endian dwords)' },
  { name: 'json', help: 'print one JSON array of packets with their fields' },
  { name: 'help', help: 'show this help' },
];

export const DECODE_HELP = `usage: amdgpu-ts decode [FILE|-] [--engine pm4|sdma|aql] [--gfx TARGET] [--input auto|hex|bin] [--json]

Decodes a command stream read from FILE (or stdin for "-" or no FILE) and prints one line per packet:
its dword offset, name and fields; SET_SH_REG/SET_UCONFIG_REG print every register by name.

Input is either binary little-endian dwords or text of hex dwords ("0xc0053c00 0x15 ...", with or
without 0x, separated by spaces, commas or newlines; "#" starts a comment). "auto" reads input as
text when it is UTF-8 without control bytes (other than tab and newlines), else as binary; use
--input bin or --input hex to decide yourself.

Decoding stops at the first invalid packet (unknown opcode, wrong fixed length, truncated): what
was decoded is printed, then the error. Exit status: 0 every packet valid, 1 an invalid packet,
2 bad usage or unreadable input.

${optionHelp(OPTIONS)}

${EXIT_STATUS_HELP}

targets: ${[...TARGETS.keys()].join(' ')}`;

/** Reads dwords from text: hex numbers separated by whitespace or commas, "#" comments to end of line. */
export function parseHexDwords(text: string): Uint32Array {
  const out: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const body = line.replace(/#.*$/, '');
    for (const tok of body.split(/[\s,]+/)) {
      if (!tok) continue;
      const m = /^(?:0x)?([0-9a-f]{1,8})$/i.exec(tok);
      if (!m) throw new UsageError(`line ${i + 1}: "${tok}" is not a 32-bit hex dword`);
      out.push(parseInt(m[1]!, 16) >>> 0);
    }
  });
  return Uint32Array.from(out);
}

/** Text is valid UTF-8 without control bytes other than tab/CR/LF; binary dword streams nearly always hold zero bytes. */
function looksLikeText(bytes: Uint8Array): boolean {
  for (const b of bytes) if ((b < 32 && b !== 9 && b !== 10 && b !== 13) || b === 127) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Turns the raw input into dwords: text of hex numbers or binary little-endian dwords. */
export function readDwords(bytes: Uint8Array, format: InputFormat = 'auto'): Uint32Array {
  if (format === 'hex' || (format === 'auto' && bytes.length > 0 && looksLikeText(bytes))) return parseHexDwords(new TextDecoder('utf-8').decode(bytes));
  if (bytes.length % 4 !== 0) throw new UsageError(`binary input of ${bytes.length} bytes is not a whole number of dwords`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Uint32Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4, true));
}

/** One decoded packet as printed (text line) and as JSON. */
export interface DecodedPacket {
  readonly line: string;
  readonly json: Record<string, unknown>;
  readonly error?: string;
  /** Dword offset of the packet in the input. */
  readonly offset: number;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

function decodeRing(engine: Engine, dw: Uint32Array, target: GpuTarget): DecodedPacket[] {
  const raw = (offset: number, size: number): string[] => Array.from(dw.subarray(offset, Math.min(offset + size, dw.length)), hex);
  if (engine === 'pm4') {
    return decodePm4(dw, target.family).map((p) => ({ line: formatPm4Packet(p, target.family), json: { ...p, raw: raw(p.offset, p.size) }, offset: p.offset, ...(p.error ? { error: p.error } : {}) }));
  }
  if (engine === 'sdma') {
    const v = sdmaVersionOf(target.sdma);
    return decodeSdma(dw, v).map((p) => ({ line: formatSdmaPacket(p, v), json: { ...p, raw: raw(p.offset, p.size) }, offset: p.offset, ...(p.error ? { error: p.error } : {}) }));
  }
  return decodeAqlStream(dw);
}

const PACKET_DWORDS = AQL_PACKET_BYTES / 4;

function jsonValue(v: number | bigint | readonly bigint[]): unknown {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (Array.isArray(v)) return v.map((x) => `0x${(x as bigint).toString(16)}`);
  return v;
}

function decodeAqlStream(dw: Uint32Array): DecodedPacket[] {
  const bytes = new Uint8Array(dw.length * 4);
  const view = new DataView(bytes.buffer);
  dw.forEach((d, i) => view.setUint32(i * 4, d, true));
  const out: DecodedPacket[] = [];
  for (let i = 0; i * PACKET_DWORDS < dw.length; i++) {
    const offset = i * PACKET_DWORDS;
    if (offset + PACKET_DWORDS > dw.length) {
      const error = `truncated: an AQL packet needs ${PACKET_DWORDS} dwords, ${dw.length - offset} left`;
      out.push({ line: `[${i.toString().padStart(4)}] !! ${error}`, json: { index: i, offset, error }, error, offset });
      break;
    }
    const p = decodeAqlPacket(view, offset * 4);
    const fields = Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, jsonValue(v)]));
    out.push({ line: formatAqlPacket(p, i), json: { index: i, offset, ...p, fields, raw: Array.from(dw.subarray(offset, offset + PACKET_DWORDS), hex) }, offset, ...(p.error ? { error: p.error } : {}) });
    if (p.error) break;
  }
  return out;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

function readInput(path: string): Uint8Array {
  return readInputFile(path, 'input', { stdin: true });
}

export function runDecode(argv: readonly string[], io: CommandIo): number {
  const args = parseArgs(argv, OPTIONS);
  if (args.flags.has('help')) {
    io.out(DECODE_HELP);
    return 0;
  }
  if (args.positionals.length > 1) throw new UsageError(`one input at most, got ${args.positionals.length}: ${args.positionals.join(' ')}`);
  const engine = oneOf('engine', args.values.get('engine')?.[0], ENGINES, 'pm4');
  const format = oneOf('input', args.values.get('input')?.[0], INPUT_FORMATS, 'auto');
  const gfx = args.values.get('gfx')?.[0] ?? DEFAULT_TARGET;
  const target = targetByName(gfx);
  if (!target) throw new UsageError(`unknown --gfx ${gfx}; known targets: ${[...TARGETS.keys()].join(' ')}`);
  const dwords = readDwords(readInput(args.positionals[0] ?? '-'), format);
  if (dwords.length === 0) throw new UsageError('the input holds no dwords');
  const packets = decodeRing(engine, dwords, target);
  if (args.flags.has('json')) io.out(JSON.stringify(packets.map((p) => p.json), null, 2));
  else for (const p of packets) io.out(p.line);
  const bad = packets.find((p) => p.error);
  if (!bad) return 0;
  io.err(`amdgpu-ts decode: invalid ${engine} packet at dword ${bad.offset}: ${bad.error}; ${dwords.length - bad.offset} dword(s) from there not decoded`);
  return 1;
}
