// Runs a wasm32-wasip1 binary (e.g. a cargo test binary) under Node's WASI:
// used as CARGO_TARGET_WASM32_WASIP1_RUNNER by tests/wasm-simd/run.sh
// and tests/wasm/run.sh.
//   node tests/wasm-simd/wasi-run.mjs file.wasm [args...]
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import process from 'node:process';

const [file, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: process.env, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
