#!/bin/sh
# Rebuild flowgraph/web/vendor/plotly-flowgraph.min.js: plotly.js's own modules for the trace
# types the workbench draws (bar and scatter on the enterprise page, sankey on the national
# flows page) plus its zh-CN locale, bundled as plotly.js's CUSTOM_BUNDLE.md describes.
# 1.3 MB instead of the full 4.8 MB plotly.min.js that Dash would otherwise load: a first
# visit compiles a third of the code (see README, Performance). Keep PLOTLY_JS equal to the
# plotly.js version the installed plotly package ships (python -c "import plotly.offline as o;
# print(o.get_plotlyjs_version())"), so figures from plotly.py mean the same.
# Needs node and npm (registry.npmjs.org); run from the repository root:
#   sh scripts/build-plotly-bundle.sh
set -eu
PLOTLY_JS=4.1.1
ESBUILD=0.28.2
out="$(pwd)/flowgraph/web/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "plotly.js@$PLOTLY_JS" "esbuild@$ESBUILD"
cat > entry.js <<'JS'
'use strict';
var Plotly = require('plotly.js/lib/core');  // scatter is part of the core
Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/sankey'),
    require('plotly.js/lib/locales/zh-cn'),
]);
module.exports = Plotly;
JS
# as plotly.js's esbuild-config.js: an IIFE setting window.Plotly, global = window; the one
# CSS file plotly.js requires is maplibre's, for map subplots (not in this bundle)
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
    --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
    --alias:stream=stream-browserify --loader:.css=empty --legal-comments=eof \
    --outfile="$out/plotly-flowgraph.min.js" --metafile=meta.json
cp node_modules/plotly.js/LICENSE "$out/LICENSE-plotly.js.txt"
# every package the bundle holds code of, with its version, licence and licence text
node -e '
const fs = require("fs"), path = require("path");
const inputs = Object.values(JSON.parse(fs.readFileSync("meta.json")).outputs)[0].inputs;
const dirs = new Set();
for (const file of Object.keys(inputs)) {
  const m = file.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (m && inputs[file].bytesInOutput > 0) dirs.add(m[1]);
}
let text = "Third-party code in plotly-flowgraph.min.js (built by scripts/build-plotly-bundle.sh)\n";
for (const dir of [...dirs].sort()) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json")));
  text += "\n==== " + pkg.name + " " + pkg.version + " (" + (pkg.license || "see below") + ")\n";
  const lic = fs.readdirSync(dir).find(f => /^(licen[cs]e|copying)/i.test(f));
  if (lic) text += fs.readFileSync(path.join(dir, lic), "utf8").trim() + "\n";
}
fs.writeFileSync(process.argv[1], text);
' "$out/THIRD-PARTY-NOTICES.txt"
echo "built $out/plotly-flowgraph.min.js from plotly.js $PLOTLY_JS"
