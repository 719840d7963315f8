// The `ckpt` executable's entry point (bin/ckpt.js loads this, or dist/main.js once built).
import { pipeSafeIo } from "./io.js";
import { main } from "./program.js";

process.exitCode = await main(process.argv.slice(2), pipeSafeIo(process.stdout, process.stderr));
