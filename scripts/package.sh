#!/usr/bin/env bash
# npm run package: the provider as a Pulumi plugin archive and the TypeScript SDK as an npm package, both usable
# without this repository (see README, "Install the packaged provider"). Writes into dist/package/:
#   pulumi-resource-modwsgi-v<version>-linux-{amd64,arm64}.tar.gz   one JavaScript bundle (esbuild), its
#       launcher (needs Node >= 22 on PATH) and the host operations (native/*.sh); the same bytes for both
#       architectures: nothing in it is compiled for one
#   pulumi-modwsgi-<version>.tgz                                     the SDK, compiled, with the `pulumi` plugin block
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
version=$(node -p 'require("./package.json").version')
out="$REPO/dist/package"
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npx tsc -p tsconfig.json

# The plugin: main.js and its dependencies in one file. ssh2's optional native speed-ups stay out (it falls back
# to pure JavaScript without them).
plugin="$work/plugin"
mkdir -p "$plugin/native"
npx esbuild dist/provider/main.js --bundle --platform=node --target=node22 --log-level=warning \
    --external:cpu-features --external:'*.node' --outfile="$plugin/pulumi-resource-modwsgi.js"
cp native/*.sh "$plugin/native/"
cp packaging/pulumi-resource-modwsgi "$plugin/pulumi-resource-modwsgi"
chmod 755 "$plugin/pulumi-resource-modwsgi"
cp LICENSE "$plugin/" 2>/dev/null || true
for arch in amd64 arm64; do
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf \
        "$out/pulumi-resource-modwsgi-v$version-linux-$arch.tar.gz" -C "$plugin" .
done

# The SDK: sdk/nodejs compiled to JavaScript with its declarations, and a package.json whose `pulumi` block tells
# the engine which plugin (and version) its resources need.
sdk="$work/sdk"
mkdir -p "$sdk"
cp sdk/nodejs/index.ts "$sdk/"
node -e '
    const fs = require("fs");
    const [version, pulumiVersion] = process.argv.slice(1);
    fs.writeFileSync(process.argv[3] + "/package.json", JSON.stringify({
        name: "pulumi-modwsgi",
        version,
        description: "Pulumi SDK for the modwsgi provider: Python WSGI apps on Apache httpd through mod_wsgi, over SSH",
        license: "Apache-2.0",
        main: "index.js",
        types: "index.d.ts",
        files: ["index.js", "index.d.ts"],
        peerDependencies: { "@pulumi/pulumi": "^3.200.0" },
        pulumi: { resource: true, name: "modwsgi", version },
    }, null, 2) + "\n");
' "$version" "" "$sdk"
npx tsc --declaration --module commonjs --target es2022 --moduleResolution node --strict --skipLibCheck \
    --esModuleInterop --typeRoots "$REPO/node_modules/@types" --baseUrl "$REPO/node_modules" \
    --outDir "$sdk" "$sdk/index.ts"
rm "$sdk/index.ts"
(cd "$sdk" && npm pack --silent --pack-destination "$out" >/dev/null)
ls -1 "$out"
