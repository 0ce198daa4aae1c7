#!/usr/bin/env bash
# npm run package: the provider as a Pulumi plugin archive and the TypeScript SDK as an npm package, both usable
# without this repository (see README, "Install the packaged provider"). Writes into dist/package/:
#   pulumi-resource-modwsgi-v<version>-linux-{amd64,arm64}.tar.gz   the provider bundled by esbuild, its
#       launcher (needs Node >= 22 on PATH) and the host operations (native/*.sh); the same bytes for both
#       architectures: nothing in it is compiled for one
#   pulumi-modwsgi-<version>.tgz                                     the TypeScript SDK, compiled, with the `pulumi`
#       plugin block
#   pulumi_modwsgi-<version>-py3-none-any.whl                        the Python SDK (its pulumi-plugin.json names
#       the plugin and version)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
version=$(node -p 'require("./package.json").version')
out="$REPO/dist/package"
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npx tsc -p tsconfig.json

# The plugin: main.js and its dependencies in one file, provider.js. ssh2's optional native speed-ups stay out
# (it falls back to pure JavaScript without them). The entry file turns Node's compile cache on before it loads
# that bundle: turned on inside the bundle, the cache would come too late for the bundle itself (compiling its
# 3.5 MB was ~75 ms of CPU at every start, and the engine starts the plugin twice per host per command).
plugin="$work/plugin"
mkdir -p "$plugin/native"
bundle() {
    npx esbuild "$1" --bundle --platform=node --target=node22 --log-level=warning \
        --external:cpu-features --external:'*.node' --outfile="$plugin/$2"
}
bundle dist/provider/main.js provider.js
bundle dist/provider/compileCache.js compile-cache.js
printf '%s\n' '"use strict";' 'require("./compile-cache.js");' 'require("./provider.js");' \
    >"$plugin/pulumi-resource-modwsgi.js"
cp native/*.sh "$plugin/native/"
cp packaging/pulumi-resource-modwsgi "$plugin/pulumi-resource-modwsgi"
chmod 755 "$plugin/pulumi-resource-modwsgi"
cp LICENSE "$plugin/" 2>/dev/null || true
for arch in amd64 arm64; do
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf \
        "$out/pulumi-resource-modwsgi-v$version-linux-$arch.tar.gz" -C "$plugin" .
done

# The SDK: sdk/nodejs (Pulumi's generator's output) compiled with its own tsconfig into JavaScript and
# declarations, with its package.json (its `pulumi` block tells the engine which plugin, and version, its
# resources need) and README beside them: what `npm pack` puts in the tarball.
sdk="$work/sdk"
cp -r sdk/nodejs "$work/sdk-src"
# What building the SDK in place leaves there (its .gitignore lists these) is not part of it.
rm -rf "$work/sdk-src/node_modules" "$work/sdk-src/bin"
ln -s "$REPO/node_modules" "$work/sdk-src/node_modules"
npx tsc -p "$work/sdk-src/tsconfig.json" --outDir "$sdk" --declarationMap false --sourceMap false
node -e '
    const fs = require("fs");
    const [src, dest, version] = process.argv.slice(1);
    const pkg = JSON.parse(fs.readFileSync(src + "/package.json", "utf8"));
    // What a user installs needs @pulumi/pulumi at run time, which the program already has: a peer, not a copy.
    const { dependencies, devDependencies, scripts, ...rest } = pkg;
    fs.writeFileSync(dest + "/package.json", JSON.stringify({
        ...rest,
        version,
        description: "Pulumi SDK for the modwsgi provider: Python WSGI apps on Apache httpd through mod_wsgi, over SSH",
        main: "index.js",
        types: "index.d.ts",
        peerDependencies: dependencies,
        pulumi: { ...pkg.pulumi, version },
    }, null, 2) + "\n");
' "$work/sdk-src" "$sdk" "$version"
cp sdk/nodejs/README.md "$sdk/"
(cd "$sdk" && npm pack --silent --pack-destination "$out" >/dev/null)

# The Python SDK: sdk/python (also the generator's output) as a wheel, built from a copy (setuptools writes build/
# and egg-info beside the sources) in a throw-away venv; pip's build isolation fetches setuptools from PyPI.
cp -r sdk/python "$work/sdk-python"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" wheel -q --disable-pip-version-check --no-deps -w "$out" "$work/sdk-python" >/dev/null
ls -1 "$out"
