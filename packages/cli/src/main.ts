// The `ckpt` executable's entry point (bin/ckpt.js loads this, or dist/main.js once built).
import { main } from "./program.js";

process.exitCode = await main(process.argv.slice(2));
