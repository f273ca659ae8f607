#!/usr/bin/env node
// Compile the grants contract with the pinned solc from package.json and write its
// artefact (ABI, bytecode, compiler version and settings). No download: solc-js
// ships the compiler inside the npm package.
//
//   npm ci && node scripts/build_contract.mjs           # rewrite the artefacts
//   node scripts/build_contract.mjs --check             # exit 1 if they are stale
//   node scripts/build_contract.mjs --print NAME        # print one artefact to stdout

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const solc = require("solc");

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

// The settings are part of the artefact: changing one changes the bytecode.
export const SETTINGS = {
  optimizer: { enabled: true, runs: 10000 },
  evmVersion: "cancun",
  metadata: { bytecodeHash: "ipfs" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

export const CONTRACTS = [
  { name: "HealthGrants", source: "wallet/chain/contracts/HealthGrants.sol", artefact: "wallet/chain/contracts/HealthGrants.json" },
  { name: "NaiveGrants", source: "benchmarks/NaiveGrants.sol", artefact: "benchmarks/NaiveGrants.json" },
];

function compile({ name, source }) {
  // Line endings normalised so a checkout with CRLF builds the same bytes.
  const text = readFileSync(join(ROOT, source), "utf8").replace(/\r\n/g, "\n");
  const fileName = `${name}.sol`;
  const input = { language: "Solidity", sources: { [fileName]: { content: text } }, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) process.stderr.write(`${e.formattedMessage}\n`);
  if (errors.length) throw new Error(`${source} does not compile`);
  const contract = output.contracts[fileName][name];
  const doc = {
    contractName: name,
    source: source,
    sourceSha256: createHash("sha256").update(text).digest("hex"),
    compiler: { name: "solc", version: solc.version(), package: `solc@${require("solc/package.json").version}` },
    settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion, metadata: SETTINGS.metadata },
    abi: contract.abi,
    bytecode: "0x" + contract.evm.bytecode.object,
    deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

function writeAtomic(path, text) {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function main(argv) {
  if (argv[0] === "--print") {
    const c = CONTRACTS.find((x) => x.name === argv[1]);
    if (!c) throw new Error(`unknown contract ${argv[1]}`);
    process.stdout.write(compile(c));
    return 0;
  }
  const check = argv.includes("--check");
  let stale = 0;
  for (const c of CONTRACTS) {
    const text = compile(c);
    const path = join(ROOT, c.artefact);
    let current = null;
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = null;
    }
    if (current === text) {
      process.stdout.write(`${c.artefact}: up to date\n`);
    } else if (check) {
      process.stdout.write(`${c.artefact}: STALE (run node scripts/build_contract.mjs)\n`);
      stale += 1;
    } else {
      writeAtomic(path, text);
      process.stdout.write(`${relative(ROOT, path)}: written\n`);
    }
  }
  return stale ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
