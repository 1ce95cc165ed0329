// Build the card into the integration: one small ES module, committed, so a HACS install needs no build.
//   npm run build   write custom_components/ambient_mesh/frontend/ambient-mesh-card.js
//   npm run check   fail when the committed bundle is not what the sources build to
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const out = fileURLToPath(new URL("../custom_components/ambient_mesh/frontend/ambient-mesh-card.js", import.meta.url));
const check = process.argv.includes("--check");
const result = await build({
  entryPoints: [fileURLToPath(new URL("./src/ambient-mesh-card.js", import.meta.url))],
  bundle: true,
  format: "esm",
  target: "es2021",
  minify: true,
  legalComments: "eof",
  banner: { js: "// Ambient Mesh card, built from frontend/ (npm run build). Do not edit." },
  outfile: out,
  write: !check,
});
if (check) {
  const built = new TextDecoder().decode(result.outputFiles[0].contents);
  let committed = "";
  try {
    committed = readFileSync(out, "utf8");
  } catch {}
  if (built !== committed) {
    console.error(`${out} is not what frontend/src builds to: run npm run build in frontend/`);
    process.exit(1);
  }
  console.log("bundle up to date");
}
