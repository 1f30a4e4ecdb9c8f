#!/usr/bin/env bash
# Rebuilds every corpus code object. Usage: build.sh [output-dir] (default: this directory).
# Targets: gfx1100 (RDNA3), gfx1201 (RDNA4), gfx942 (CDNA3), gfx90a (CDNA2).
# Output names: <kernel>.<target>[.O0].co, plus vector_add.gfx90a.cov4.co (code object v4, the newest
# ROCm 5.2.3's loader takes). Requires clang-19, ld.lld-19 and llvm-mc-19
# (never the unversioned LLVM 14 tools: wrong for gfx11).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

targets=(gfx1100 gfx1201 gfx942 gfx90a)
opencl=(vector_add saxpy fill hash_loop reduce_sum prefix_scan sgemm_tiled histogram half_convert
        transcendentals divergent scratch_spill wave_ops lds_dynamic reloc_table empty fault bounds)
opencl_O0=(vector_add hash_loop reduce_sum)
assembly=(asm_trap asm_branches asm_literals asm_hang asm_salu asm_vopd)

build_cl() { # name target opt suffix [extra clang flags]
  clang-19 -x cl -cl-std=CL2.0 -cl-kernel-arg-info --target=amdgcn-amd-amdhsa -mcpu="$2" -nogpulib "$3" "${@:5}" \
    -I "$here" -c "$here/$1.cl" -o "$tmp/$1.$2$4.o"
  ld.lld-19 -shared "$tmp/$1.$2$4.o" -o "$out/$1.$2$4.co"
}

for t in "${targets[@]}"; do
  for k in "${opencl[@]}"; do build_cl "$k" "$t" -O2 ""; done
  for k in "${opencl_O0[@]}"; do build_cl "$k" "$t" -O0 ".O0"; done
  for k in "${assembly[@]}"; do
    llvm-mc-19 -triple=amdgcn-amd-amdhsa -mcpu="$t" -filetype=obj --defsym "TARGET_${t^^}=1" -I "$here" \
      "$here/$k.s" -o "$tmp/$k.$t.o"
    ld.lld-19 -shared "$tmp/$k.$t.o" -o "$out/$k.$t.co"
  done
done
build_cl vector_add gfx90a -O2 .cov4 -mcode-object-version=4
