// What a fresh page of memory costs on this machine: first touch (a page fault each 4 KiB) against
// writing memory already mapped. On bare metal a fault is well under a microsecond; on a VM it can be
// ten times that or more, and then every MiB a build allocates anew costs milliseconds.
//   node bench/page-touch.mjs [MiB]
const mib = Number(process.argv[2] ?? 256);
const pages = (mib * 1024 * 1024) / 4096;
for (let round = 0; round < 3; round++) {
  const buffer = Buffer.allocUnsafeSlow(mib * 1024 * 1024);
  let t = performance.now();
  buffer.fill(1);
  const first = performance.now() - t;
  t = performance.now();
  buffer.fill(2);
  const again = performance.now() - t;
  console.log(`${mib} MiB: first touch ${first.toFixed(0)} ms (${((first * 1000) / pages).toFixed(2)} µs a 4 KiB page), written again ${again.toFixed(0)} ms`);
}
