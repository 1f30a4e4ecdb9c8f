// The amdgpu power-management and memory-info files of the served card (what rocm-smi reads from
// /sys/class/drm/cardN/device/…), computed from the emulated GPU's live state.
//
// Design: the served tree is a real directory the preload library redirects into, written once per
// run (tree.ts). The files below change while the run goes on, so the server rewrites them — each
// one atomically (write a temporary file, then rename over the old one, so a reader sees either the
// old or the new contents, never a torn one) — whenever a value changes: after every request a client
// makes (VRAM use moves with ALLOC/FREE ioctls) and on a 100 ms sampling timer (busy percent,
// clocks, temperatures and power follow the engines). No new preload request is needed.
//
// What is measured and what is modelled (amdgpu_pm.c and amdgpu_kms.c name the real sources):
// - mem_info_vram_used / mem_info_vis_vram_used: the VRAM the served processes hold, summed over
//   them (amdgpu_vram_mgr's usage; the real one adds a few MiB the kernel itself holds; the emulated
//   kernel holds none). mem_info_gtt_used: their GTT BOs.
// - gpu_busy_percent: the share of the 100 ms samples taken in the last second (busy-window.ts) in
//   which an engine thread of the GPU had work in flight (the SMU reports a similar windowed average,
//   AMDGPU_PP_SENSOR_GPU_LOAD).
// - pp_dpm_sclk / pp_dpm_mclk, temperatures (hwmon temp1/2/3 edge/junction/mem, millidegrees),
//   power (power1_average, microwatts), freq1_input: a MODEL, not a measurement — an idle and a busy
//   point of an MI210-class board (sclk 500 → 1700 MHz, 300 W TDP) interpolated by the busy percent.
//   The hwmon name is "amdgpu" as on a real system; every modelled file is listed in
//   EMULATED_PM_FILES so tools and readers can tell.
// - No fan files: an MI210 is passively cooled; Aldebaran's SMU code (aldebaran_ppt.c) has no fan
//   callbacks, so amdgpu_dpm_get_fan_speed_pwm returns -EOPNOTSUPP and hwmon_attributes_visible
//   (amdgpu_pm.c, "mask fan attributes if we have no bindings for this asic to expose") hides pwm1.
//   rocm-smi 5.2.3's concise view then gets RSMI_STATUS_NOT_SUPPORTED for the fan, prints 0% and
//   exits with status 2 (rocm_smi.py rsmi_ret_ok keeps the last failure as RETCODE), as it would on
//   the real board.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GpuInstance } from '../models/system.js';
import { BusyWindow } from './busy-window.js';

/** The live state of one emulated GPU (all served processes together). */
export interface GpuLoad {
  readonly vramUsed: bigint;
  readonly gttUsed: bigint;
  /** 0…100 over the last second. */
  readonly busyPercent: number;
  /** Sum of the busy percents of every 100 ms sample so far (the SMU's gfx activity accumulator). */
  readonly busyAccumulated: number;
}

export const IDLE_LOAD: GpuLoad = { vramUsed: 0n, gttUsed: 0n, busyPercent: 0, busyAccumulated: 0 };

/** Files whose values are modelled rather than measured (relative to the card's device directory). */
export const EMULATED_PM_FILES = ['gpu_metrics', 'pp_dpm_sclk', 'pp_dpm_mclk', 'hwmon/hwmon*/temp*_input', 'hwmon/hwmon*/power1_average', 'hwmon/hwmon*/freq1_input', 'hwmon/hwmon*/in0_input'] as const;

// The MI210-class board model (AMD's MI210 data sheet: peak engine clock 1700 MHz, HBM2e at
// 1600 MHz, 300 W TBP). Aldebaran's SMU reports three sclk levels (aldebaran_ppt.c prints the min,
// the current when it lies between, and the max).
const SCLK_MIN_MHZ = 500;
const MCLK_LEVELS_MHZ = [400, 700, 1200, 1600];
const IDLE_W = 42;
const TDP_W = 300;

const lerp = (a: number, b: number, pct: number): number => a + ((b - a) * pct) / 100;

/** pp_dpm_sclk as aldebaran_get_clk_table/aldebaran_print_clk_levels prints it. */
function sclkTable(maxMhz: number, busy: number): string {
  const cur = Math.round(lerp(SCLK_MIN_MHZ, maxMhz, busy));
  if (cur <= SCLK_MIN_MHZ) return `0: ${SCLK_MIN_MHZ}Mhz *\n1: ${maxMhz}Mhz\n`;
  if (cur >= maxMhz) return `0: ${SCLK_MIN_MHZ}Mhz\n1: ${maxMhz}Mhz *\n`;
  return `0: ${SCLK_MIN_MHZ}Mhz\n1: ${cur}Mhz *\n2: ${maxMhz}Mhz\n`;
}

/**
 * gpu_metrics as aldebaran_get_gpu_metrics fills it: struct gpu_metrics_v1_3 (kgd_pp_interface.h;
 * rocm_smi_lib 5.2.3 rsmi_gpu_metrics_v_1_3 mirrors it), 120 bytes, header {120, 1, 3}.
 * Temperatures in °C, power in W, clocks in MHz, link speed in 0.1 GT/s, timestamp in 10 ns.
 */
export function gpuMetricsV13(m: { edgeC: number; hotspotC: number; memC: number; busy: number; busyAccumulated: number; powerW: number; sclkMhz: number; mclkMhz: number; timestamp10ns: bigint }): Uint8Array {
  const b = new Uint8Array(120);
  const v = new DataView(b.buffer);
  v.setUint16(0, 120, true);
  v.setUint8(2, 1);
  v.setUint8(3, 3);
  [m.edgeC, m.hotspotC, m.memC, m.hotspotC, m.edgeC, m.memC].forEach((t, i) => v.setUint16(4 + 2 * i, Math.round(t), true));
  v.setUint16(16, m.busy, true); // average_gfx_activity
  v.setUint16(18, Math.round(m.busy / 2), true); // average_umc_activity
  v.setUint16(20, 0, true); // average_mm_activity
  v.setUint16(22, Math.round(m.powerW), true); // average_socket_power
  v.setBigUint64(32, m.timestamp10ns * 10n, true); // system_clock_counter (ns)
  v.setUint16(40, m.sclkMhz, true); // average_gfxclk_frequency
  v.setUint16(42, 1090, true); // average_socclk_frequency
  v.setUint16(44, m.mclkMhz, true); // average_uclk_frequency
  v.setUint16(54, m.sclkMhz, true); // current_gfxclk
  v.setUint16(56, 1090, true); // current_socclk
  v.setUint16(58, m.mclkMhz, true); // current_uclk
  v.setUint16(72, 0, true); // current_fan_speed: no fan
  v.setUint16(74, 16, true); // pcie_link_width
  v.setUint16(76, 160, true); // pcie_link_speed
  v.setUint32(80, Math.round(m.busyAccumulated) >>> 0, true); // gfx_activity_acc
  v.setUint32(84, Math.round(m.busyAccumulated / 2) >>> 0, true); // mem_actvity_acc
  for (let i = 0; i < 4; i++) v.setUint16(88 + 2 * i, Math.round(m.memC), true); // temperature_hbm
  v.setBigUint64(96, m.timestamp10ns, true); // firmware_timestamp
  v.setUint16(104, 0, true); // voltage_soc
  v.setUint16(106, 0, true); // voltage_gfx
  v.setUint16(108, 0, true); // voltage_mem
  return b;
}

/** Device-directory-relative path → contents of every live file of one GPU. */
export function liveFiles(g: GpuInstance, load: GpuLoad, timestamp10ns = 0n): Map<string, string | Uint8Array> {
  const busy = Math.max(0, Math.min(100, Math.round(load.busyPercent)));
  const maxSclk = Number(g.properties.get('max_engine_clk_fcompute') ?? 1700n);
  const mclk = g.model.vramClkMhz;
  const f = new Map<string, string | Uint8Array>();
  f.set('mem_info_vram_used', `${load.vramUsed}\n`);
  f.set('mem_info_vis_vram_used', `${load.vramUsed}\n`);
  f.set('mem_info_gtt_used', `${load.gttUsed}\n`);
  f.set('gpu_busy_percent', `${busy}\n`);
  f.set('mem_busy_percent', `${Math.round(busy / 2)}\n`);
  f.set('pp_dpm_sclk', sclkTable(maxSclk, busy));
  const levels = MCLK_LEVELS_MHZ.filter((m) => m < mclk).concat(mclk);
  f.set('pp_dpm_mclk', levels.map((m, i) => `${i}: ${m}Mhz${m === mclk ? ' *' : ''}\n`).join(''));
  const mdeg = (c: number): string => `${Math.round(c * 1000)}\n`;
  const hw = 'hwmon/hwmon0';
  f.set(`${hw}/temp1_input`, mdeg(lerp(34, 52, busy)));
  f.set(`${hw}/temp2_input`, mdeg(lerp(37, 68, busy)));
  f.set(`${hw}/temp3_input`, mdeg(lerp(39, 61, busy)));
  f.set(`${hw}/power1_average`, `${Math.round(lerp(IDLE_W, TDP_W * 0.9, busy)) * 1_000_000}\n`);
  f.set(`${hw}/freq1_input`, `${Math.round(lerp(SCLK_MIN_MHZ, maxSclk, busy)) * 1_000_000}\n`);
  f.set(`${hw}/in0_input`, `${Math.round(lerp(718, 850, busy))}\n`);
  f.set(
    'gpu_metrics',
    gpuMetricsV13({ edgeC: lerp(34, 52, busy), hotspotC: lerp(37, 68, busy), memC: lerp(39, 61, busy), busy, busyAccumulated: load.busyAccumulated, powerW: lerp(IDLE_W, TDP_W * 0.9, busy), sclkMhz: Math.round(lerp(SCLK_MIN_MHZ, maxSclk, busy)), mclkMhz: mclk, timestamp10ns }),
  );
  return f;
}

/** The fixed hwmon files beside the live ones (labels, limits), as amdgpu_pm.c names them. */
export function staticHwmonFiles(): Map<string, string> {
  const hw = 'hwmon/hwmon0';
  return new Map([
    [`${hw}/name`, 'amdgpu\n'],
    [`${hw}/temp1_label`, 'edge\n'],
    [`${hw}/temp2_label`, 'junction\n'],
    [`${hw}/temp3_label`, 'mem\n'],
    [`${hw}/temp1_crit`, '100000\n'],
    [`${hw}/temp2_crit`, '110000\n'],
    [`${hw}/temp3_crit`, '100000\n'],
    [`${hw}/power1_cap`, `${TDP_W * 1_000_000}\n`],
    [`${hw}/power1_cap_max`, `${TDP_W * 1_000_000}\n`],
    [`${hw}/power1_cap_min`, '0\n'],
    [`${hw}/freq1_label`, 'sclk\n'],
    [`${hw}/in0_label`, 'vddgfx\n'],
  ]);
}

/** Samples the engines and rewrites the live files of every GPU under `root` when they change. */
export class LiveSysfs {
  private readonly written = new Map<string, string | Uint8Array>();
  private readonly busyWindows: BusyWindow[];
  private readonly busyAccumulated: number[];
  private readonly started = process.hrtime.bigint();
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  static readonly SAMPLE_MS = 100;
  static readonly WINDOW_MS = 1000;

  /**
   * `deviceDirs[i]`: the tree path of GPU i's PCI device directory; `sample()` returns, per GPU, its
   * VRAM/GTT use and whether an engine has work in flight right now.
   */
  constructor(
    private readonly root: string,
    private readonly gpus: readonly GpuInstance[],
    private readonly deviceDirs: readonly string[],
    private readonly sample: () => readonly { vramUsed: bigint; gttUsed: bigint; busy: boolean }[],
  ) {
    this.busyWindows = gpus.map(() => new BusyWindow(LiveSysfs.WINDOW_MS));
    this.busyAccumulated = gpus.map(() => 0);
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), LiveSysfs.SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes a busy sample and rewrites what changed. */
  private tick(): void {
    const now = this.sample();
    const t = performance.now();
    now.forEach((s, i) => {
      this.busyWindows[i]!.add(t, s.busy);
      this.busyAccumulated[i]! += s.busy ? 100 : 0;
    });
    this.sampling = true;
    this.write(now);
    this.sampling = false;
  }

  /** Rewrites what changed without taking a busy sample (after a client's request). */
  refresh(): void {
    this.write(this.sample());
  }

  private write(now: readonly { vramUsed: bigint; gttUsed: bigint }[]): void {
    this.gpus.forEach((g, i) => {
      const busyPercent = this.busyWindows[i]!.percent;
      const s = now[i] ?? IDLE_LOAD;
      const stamp = (process.hrtime.bigint() - this.started) / 10n;
      for (const [rel, text] of liveFiles(g, { vramUsed: s.vramUsed, gttUsed: s.gttUsed, busyPercent, busyAccumulated: this.busyAccumulated[i]! }, stamp)) {
        const path = join(this.root, this.deviceDirs[i]!, rel);
        // gpu_metrics carries a timestamp: it is rewritten on every sample, the rest only on change.
        if (typeof text === 'string' && this.written.get(path) === text) continue;
        if (typeof text !== 'string' && rel === 'gpu_metrics' && this.written.has(path) && !this.sampling) continue;
        writeAtomically(this.root, path, text);
        this.written.set(path, text);
      }
    });
  }
}

/** Temporary files live outside the redirected prefixes, so no directory listing a client makes shows them. */
function writeAtomically(root: string, path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  mkdirSync(join(root, '.live-tmp'), { recursive: true });
  const tmp = join(root, '.live-tmp', 'next');
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
