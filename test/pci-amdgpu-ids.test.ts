// Marketing names against libdrm's own table: /usr/share/libdrm/amdgpu.ids (package libdrm-common),
// lines `device_id,<TAB>revision_id,<TAB>product_name` in hex. Every device id our name table holds must
// carry the name of that id's first line there (the driver knows no revision: KFD topology has none), and
// every emulated model's (device id, PCI revision) must name, there, the product our table gives it.
// AMDGPU_IDS=<path> checks against another copy (e.g. a newer libdrm's data/amdgpu.ids). Ids the file
// does not list (an older libdrm) cannot be checked and are listed in the test's diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MARKETING_NAMES, marketingName } from '../src/driver/marketing-names.js';
import { MODELS } from '../src/emu/models/models.js';
import { requireOracle } from './support/tools.js';

const IDS = process.env.AMDGPU_IDS ?? '/usr/share/libdrm/amdgpu.ids';

/** (device id, revision) → name, in file order, from the amdgpu.ids text. */
function parseAmdgpuIds(text: string): { version: string; entries: { device: number; revision: number; name: string }[] } {
  const entries: { device: number; revision: number; name: string }[] = [];
  let version = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([0-9A-Fa-f]{4}),\t([0-9A-Fa-f]{2}),\t(.+)$/.exec(raw);
    if (m) entries.push({ device: parseInt(m[1]!, 16), revision: parseInt(m[2]!, 16), name: m[3]!.trim() });
    else if (/^\d+\.\d+\.\d+$/.test(line)) version = line;
    else assert.fail(`${IDS}: unexpected line ${JSON.stringify(raw)}`);
  }
  return { version, entries };
}

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');

test('marketing names: every name we give agrees with libdrm amdgpu.ids', (t) => {
  if (!requireOracle(t, { files: [IDS], install: 'apt-get install -y libdrm-common' })) return;
  const { version, entries } = parseAmdgpuIds(readFileSync(IDS, 'utf8'));
  assert.ok(entries.length > 100, `${IDS}: ${entries.length} entries parsed`);
  const unchecked: string[] = [];
  let checked = 0;
  for (const [device, name] of MARKETING_NAMES) {
    const first = entries.find((e) => e.device === device);
    if (!first) {
      unchecked.push(hex(device, 4));
      continue;
    }
    assert.equal(name, first.name, `device ${hex(device, 4)}: the first amdgpu.ids entry (revision ${hex(first.revision, 2)})`);
    checked++;
  }
  for (const m of new Set([...MODELS.values()].map((x) => x.gpu))) {
    const device = Number(/^device_id (\d+)$/m.exec(m.properties)?.[1]);
    assert.ok(device > 0, `${m.target}: the captured properties carry device_id`);
    const ours = marketingName(device);
    assert.ok(ours, `${m.target}: device ${hex(device, 4)} has a name in our table`);
    const known = entries.filter((e) => e.device === device);
    if (!known.length) {
      unchecked.push(`${hex(device, 4)}:${hex(m.pciRevision, 2)} (${m.target})`);
      continue;
    }
    const exact = known.find((e) => e.revision === m.pciRevision);
    assert.ok(exact, `${m.target}: revision ${hex(m.pciRevision, 2)} of ${hex(device, 4)} is not in amdgpu.ids (it has ${known.map((e) => hex(e.revision, 2)).join(', ')})`);
    assert.equal(ours, exact.name, `${m.target}: ${hex(device, 4)}:${hex(m.pciRevision, 2)}`);
    checked++;
  }
  t.diagnostic(`${IDS} (format ${version}, ${entries.length} entries): ${checked} names checked${unchecked.length ? `; not listed there (an older libdrm), unchecked: ${unchecked.join(', ')}` : ''}`);
  assert.ok(checked > 0, 'at least one name was checked');
});
