#!/usr/bin/env node
// The `ckpt` command. A built package runs dist/main.js; inside the workspace, where dist is absent,
// it compiles the TypeScript sources on the fly with tsx and resolves the workspace packages to
// their sources through the "@ckpt/source" export condition, in this same process (so a signal
// sent to `ckpt` reaches the copy itself, not a wrapper).
import { existsSync } from "node:fs";
import { register } from "node:module";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/main.js", import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  const addSourceCondition = `export async function resolve(specifier, context, next) {
    const conditions = context.conditions.includes("@ckpt/source") ? context.conditions : ["@ckpt/source", ...context.conditions];
    return next(specifier, { ...context, conditions });
  }`;
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`, import.meta.url);
  let tsx;
  try {
    tsx = await import("tsx/esm/api");
  } catch (cause) {
    process.stderr.write(
      `ckpt: dist/ is not built and tsx is not installed; run \`pnpm --filter @ckpt/cli build\` (${cause})\n`,
    );
    process.exit(1);
  }
  tsx.register();
  await import(new URL("../src/main.ts", import.meta.url).href);
}
