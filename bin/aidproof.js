#!/usr/bin/env node
// The CLI is TypeScript; run it through ts-node without type checking (checked in CI).
process.env.TS_NODE_TRANSPILE_ONLY = "true";
process.env.TS_NODE_PROJECT ??= require("node:path").join(__dirname, "..", "tsconfig.json");
require("ts-node/register");
require("../api/src/cli/main.ts");
