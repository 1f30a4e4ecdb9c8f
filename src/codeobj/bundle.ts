// Clang offload bundles (HIP fat binaries): "__CLANG_OFFLOAD_BUNDLE__", u64 entry count, then per
// entry u64 offset, u64 size, u64 id length and the id ("<kind>-<triple>-<target id>", e.g.
// "hipv4-amdgcn-amd-amdhsa--gfx1100"). Format: clang docs "Clang Offload Bundler" (Bundled Binary
// File Layout; compressed bundles start with the magic "CCOB").
import { InputError } from '../errors.js';
export const BUNDLE_MAGIC = '__CLANG_OFFLOAD_BUNDLE__';
export const COMPRESSED_BUNDLE_MAGIC = 'CCOB';

export interface BundleEntry {
  readonly id: string;
  /** Offload kind, e.g. "hipv4", "hip", "openmp", "host". */
  readonly kind: string;
  /** e.g. "amdgcn-amd-amdhsa-" */
  readonly triple: string;
  /** Target id after the triple, e.g. "gfx90a:sramecc+:xnack-" (empty for host entries). */
  readonly targetId: string;
  readonly offset: number;
  readonly size: number;
  readonly bytes: Uint8Array;
}

/** A malformed or unsupported code object: the caller's input. */
export class BundleError extends InputError {
  override name = 'BundleError';
}

const ascii = (b: Uint8Array): string => String.fromCharCode(...b);

export function isOffloadBundle(bytes: Uint8Array): boolean {
  return ascii(bytes.subarray(0, BUNDLE_MAGIC.length)) === BUNDLE_MAGIC || isCompressedBundle(bytes);
}
function isCompressedBundle(bytes: Uint8Array): boolean {
  return ascii(bytes.subarray(0, COMPRESSED_BUNDLE_MAGIC.length)) === COMPRESSED_BUNDLE_MAGIC;
}

function splitId(id: string): Pick<BundleEntry, 'kind' | 'triple' | 'targetId'> {
  const dash = id.indexOf('-');
  const kind = dash < 0 ? id : id.slice(0, dash);
  const rest = dash < 0 ? '' : id.slice(dash + 1);
  // The triple has four '-'-separated components (arch-vendor-os-env); the target id follows.
  const parts = rest.split('-');
  return { kind, triple: parts.slice(0, 4).join('-'), targetId: parts.slice(4).join('-') };
}

export function parseOffloadBundle(bytes: Uint8Array): BundleEntry[] {
  if (isCompressedBundle(bytes)) throw new BundleError('unsupported: compressed bundle (magic CCOB); decompress it with clang-offload-bundler first');
  if (ascii(bytes.subarray(0, BUNDLE_MAGIC.length)) !== BUNDLE_MAGIC) throw new BundleError('not a clang offload bundle');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number): number => {
    if (at + 8 > bytes.length) throw new BundleError(`bundle header truncated at byte ${at}`);
    const v = dv.getBigUint64(at, true);
    if (v > BigInt(bytes.length)) throw new BundleError(`bundle field at byte ${at} (${v}) exceeds the ${bytes.length}-byte file`);
    return Number(v);
  };
  let at = BUNDLE_MAGIC.length;
  const count = u64(at);
  at += 8;
  const entries: BundleEntry[] = [];
  for (let i = 0; i < count; i++) {
    const offset = u64(at);
    const size = u64(at + 8);
    const idLength = u64(at + 16);
    at += 24;
    if (at + idLength > bytes.length) throw new BundleError(`bundle entry ${i} id runs past the end of the file`);
    const id = ascii(bytes.subarray(at, at + idLength));
    at += idLength;
    if (offset + size > bytes.length) throw new BundleError(`bundle entry "${id}" [${offset}, +${size}) lies outside the file`);
    entries.push({ id, ...splitId(id), offset, size, bytes: bytes.subarray(offset, offset + size) });
  }
  return entries;
}

/**
 * The device entry for `processor` (e.g. "gfx1100"). Entries whose target id names features
 * (":xnack+", ":sramecc-") must agree with `features` where those are given; among matches an
 * exact feature match is preferred over a feature-less ("any") entry.
 */
export function selectBundleEntry(
  entries: readonly BundleEntry[],
  processor: string,
  features: { xnack?: boolean; sramecc?: boolean } = {},
): BundleEntry {
  const candidates = entries.filter((e) => e.triple.startsWith('amdgcn-amd-amdhsa') && e.targetId.split(':')[0] === processor);
  const compatible = candidates.filter((e) => {
    const feats = e.targetId.split(':').slice(1);
    return feats.every((f) => {
      const on = f.endsWith('+');
      const name = f.slice(0, -1);
      const has = name === 'xnack' ? features.xnack : name === 'sramecc' ? features.sramecc : undefined;
      return has === undefined || has === on;
    });
  });
  const best = compatible.sort((a, b) => b.targetId.length - a.targetId.length)[0];
  if (!best) {
    const have = entries.map((e) => e.id).join(', ') || 'none';
    throw new BundleError(`no code object for ${processor} in the offload bundle (entries: ${have})`);
  }
  if (best.size === 0) throw new BundleError(`bundle entry ${best.id} is empty`);
  return best;
}
