// node run.js transform_wasm.wasm: checks, then times, the simd128 twins.
const fs = require('fs');

const [wasmPath] = process.argv.slice(2);
if (!wasmPath) {
  console.error('usage: node run.js path/to/transform_wasm.wasm');
  process.exit(2);
}

WebAssembly.instantiate(fs.readFileSync(wasmPath), {}).then(({ instance }) => {
  const { check, bench } = instance.exports;

  const seeds = 20, iterations = 20000;
  let mismatches = 0;
  for (let seed = 1; seed <= seeds; seed++) mismatches += check(seed, iterations);
  console.log(`simd128 vs scalar: ${mismatches} mismatches in ${seeds * iterations} rounds of every kernel`);
  if (mismatches !== 0) process.exit(1);

  // Median of 7 runs of 2M blocks each, after a warm-up.
  const blocks = 2_000_000;
  const nsPerBlock = (which) => {
    bench(which, 100_000);
    const runs = [];
    for (let run = 0; run < 7; run++) {
      const start = process.hrtime.bigint();
      bench(which, blocks);
      runs.push(Number(process.hrtime.bigint() - start) / blocks);
    }
    return runs.sort((a, b) => a - b)[3];
  };
  ['inverse_add_4x4', 'inverse_add_8x8', 'satd_8x8'].forEach((name, k) => {
    const scalar = nsPerBlock(2 * k), simd = nsPerBlock(2 * k + 1);
    console.log(`${name}: scalar ${scalar.toFixed(1)} ns, simd128 ${simd.toFixed(1)} ns, ${(scalar / simd).toFixed(2)}x`);
  });
});
