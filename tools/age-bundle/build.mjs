// Bundles entry.js (age-encryption and its dependencies) into one self-contained,
// unminified browser script, crates/web/assets/age.js, and writes the licence of
// every bundled package to crates/web/assets/age.js.LICENSE.txt.
import { build } from "esbuild";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const assets = join(here, "../../crates/web/assets");
const result = await build({
  entryPoints: [join(here, "entry.js")],
  bundle: true,
  format: "iife",
  target: "es2020",
  platform: "browser",
  charset: "utf8",
  legalComments: "inline",
  metafile: true,
  banner: {
    js: "// age-encryption (typage) for the ppetrace case page, bundled by tools/age-bundle\n// (npm run build). Licences: /assets/age.js.LICENSE.txt. Do not edit by hand.",
  },
  outfile: join(assets, "age.js"),
});

// Every package a bundled file came from, with its own licence text.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (!m) continue;
  const dir = join(here, m[1]);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const key = `${pkg.name}@${pkg.version}`;
  if (packages.has(key)) continue;
  const licence = ["LICENSE", "LICENSE.md", "LICENSE.txt"].map((f) => join(dir, f)).find(existsSync);
  if (!licence) throw new Error(`${key} ships no LICENSE file`);
  packages.set(key, { license: pkg.license, text: readFileSync(licence, "utf8").trim() });
}
let out = "Third-party code in age.js (built by tools/age-bundle from the npm registry).\n";
for (const [key, p] of [...packages].sort()) {
  out += `\n==== ${key} (${p.license}) ====\n\n${p.text}\n`;
}
writeFileSync(join(assets, "age.js.LICENSE.txt"), out);
console.log(`age.js: ${[...packages.keys()].sort().join(", ")}`);
