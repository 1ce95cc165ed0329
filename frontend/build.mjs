// Build the card into the integration: one small ES module, committed, so a HACS install needs no build.
//   npm run build   write custom_components/ambient_mesh/frontend/ambient-mesh-card.js
//   npm run check   fail when the committed bundle is not what the sources build to
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const outdir = fileURLToPath(new URL("../custom_components/ambient_mesh/frontend/", import.meta.url));
const check = process.argv.includes("--check");
// The loader Home Assistant loads, and the card (with Lit) it imports once the frontend is ready.
const entries = { "ambient-mesh-card": "./src/loader.js", "ambient-mesh-card-element": "./src/card.js" };
let stale = false;
for (const [name, source] of Object.entries(entries)) {
  const outfile = `${outdir}${name}.js`;
  const result = await build({
    entryPoints: [fileURLToPath(new URL(source, import.meta.url))],
    bundle: true,
    format: "esm",
    target: "es2021",
    minify: true,
    legalComments: "eof",
    banner: { js: "// Ambient Mesh card, built from frontend/ (npm run build). Do not edit." },
    outfile,
    write: !check,
  });
  if (check) {
    const built = new TextDecoder().decode(result.outputFiles[0].contents);
    let committed = "";
    try {
      committed = readFileSync(outfile, "utf8");
    } catch {}
    if (built !== committed) {
      console.error(`${outfile} is not what frontend/src builds to: run npm run build in frontend/`);
      stale = true;
    }
  }
}
if (check) {
  if (stale) process.exit(1);
  console.log("bundle up to date");
}
