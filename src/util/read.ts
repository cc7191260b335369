import { readSync } from 'node:fs';

/**
 * Up to `length` bytes of the open file `fd` from `position`: fewer only where the file ends
 * sooner (it shrank since it was stat'ed, or was replaced).
 */
export function readAt(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let n = 0;
  for (let r = 1; n < length && r > 0; n += r) r = readSync(fd, buffer, n, length - n, position + n);
  return n < length ? buffer.subarray(0, n) : buffer;
}
