import { test } from 'node:test';
import assert from 'node:assert/strict';
import { array, struct } from '../src/uapi/codec.js';
import { createQueueArgs, createQueueArgsPre117, KFD_IOC, createQueueIoctlFor } from '../src/uapi/kfd.js';

test('codec lays out fields with C natural alignment', () => {
  const s = struct('t', [['a', 'u8'], ['b', 'u64'], ['c', 'u16'], ['d', array('u32', 3)]]);
  assert.equal(s.offsetOf('a'), 0);
  assert.equal(s.offsetOf('b'), 8);
  assert.equal(s.offsetOf('c'), 16);
  assert.equal(s.offsetOf('d'), 20);
  assert.equal(s.size, 32);
});

test('codec round-trips values, zero-fills omitted fields and rejects overflowing arrays', () => {
  const inner = struct('in', [['x', 'u32'], ['y', 'i32']]);
  const s = struct('t', [['v', 'u64'], ['n', inner], ['arr', array('u16', 2)]]);
  const bytes = s.encode({ v: 0xfedcba9876543210n, n: { x: 7, y: -2 }, arr: [1, 65535] });
  assert.deepEqual(s.decode(bytes), { v: 0xfedcba9876543210n, n: { x: 7, y: -2 }, arr: [1, 65535] });
  assert.deepEqual(s.decode(s.encode({})), { v: 0n, n: { x: 0, y: 0 }, arr: [0, 0] });
  assert.throws(() => s.encode({ arr: [1, 2, 3] }), /3 elements do not fit in 2/);
});

test('create_queue_args: 96 bytes from KFD 1.17, 88 before, picked from the reported version', () => {
  assert.equal(createQueueArgs.size, 96);
  assert.equal(createQueueArgsPre117.size, 88);
  assert.equal(KFD_IOC.CREATE_QUEUE.request, 0xc0604b02);
  assert.equal(KFD_IOC.CREATE_QUEUE_PRE_1_17.request, 0xc0584b02);
  assert.equal(createQueueIoctlFor(11), KFD_IOC.CREATE_QUEUE_PRE_1_17);
  assert.equal(createQueueIoctlFor(17), KFD_IOC.CREATE_QUEUE);
});
