// The native Host against the real kernel, on files every Linux machine has: errors are typed
// OsErrors that name the call, the ioctl or path, and the errno.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NativeHost } from '../src/os/native.js';
import { OsError } from '../src/os/errors.js';
import { ERRNO } from '../src/os/errno.js';
import { O_CLOEXEC, O_RDONLY, O_RDWR } from '../src/os/host.js';
import { ioctl } from '../src/driver/ioctl.js';
import { KFD_IOC } from '../src/uapi/kfd.js';

test('KFD GET_VERSION on /dev/null fails with ENOTTY naming the ioctl and the file', () => {
  const host = new NativeHost();
  const fd = host.open('/dev/null', O_RDWR | O_CLOEXEC);
  try {
    assert.ok(fd >= 0);
    assert.throws(
      () => ioctl(host, fd, KFD_IOC.GET_VERSION, {}),
      (e: unknown) => {
        assert.ok(e instanceof OsError);
        assert.equal(e.call, 'ioctl');
        assert.equal(e.errno, ERRNO.ENOTTY);
        assert.equal(e.code, 'ENOTTY');
        assert.match(e.message, /^ioctl AMDKFD_IOC_GET_VERSION on \/dev\/null failed: ENOTTY/);
        return true;
      },
    );
  } finally {
    host.close(fd);
  }
});

test('opening a missing path fails with ENOENT naming the path', () => {
  const host = new NativeHost();
  const path = `/nonexistent-amdgpu-ts-${process.pid}/renderD128`;
  assert.throws(
    () => host.open(path, O_RDONLY | O_CLOEXEC),
    (e: unknown) => {
      assert.ok(e instanceof OsError);
      assert.equal(e.call, 'open');
      assert.equal(e.errno, ERRNO.ENOENT);
      assert.equal(e.target, path);
      assert.ok(e.message.startsWith(`open ${path} failed: ENOENT`), e.message);
      return true;
    },
  );
});
