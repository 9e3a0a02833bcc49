#!/usr/bin/env bash
# Build ORY Hydra for the end-to-end tests and print the binary's path.
#
# The binary is cached at ${TOKENBRIDGE_CACHE:-$HOME/.cache/tokenbridge}/hydra-v2.3.0
# and rebuilt only when tools/hydra/go.mod or go.sum change, so only the
# first run pays for the build (about 2.5 minutes on 2 cores with a cold
# Go build cache, measured on this project's CI machine).
#
# Hydra is built from this separate module so that its dependencies, and
# the github.com/gobuffalo/pop/v6 replacement it needs, stay out of the
# product's go.mod. Hydra's own go.mod carries the same replacement, but
# Go ignores replace directives of dependencies, so it is repeated here.
#
# The sqlite build tags (which need cgo and a C compiler) let Hydra run with
# DSN=memory, an in-memory database, so the tests need no database server.
#
# Progress goes to stderr; stdout holds only the binary's path.
set -euo pipefail

version=v2.3.0
module_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_dir=${TOKENBRIDGE_CACHE:-${HOME:?HOME is not set; set TOKENBRIDGE_CACHE instead}/.cache/tokenbridge}
binary=$cache_dir/hydra-$version
stamp=$binary.stamp

# The stamp records which module files the cached binary was built from.
want_stamp=$(cat "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -d' ' -f1)
if [[ -x $binary && -f $stamp && $(cat "$stamp") == "$want_stamp" ]]; then
	echo "hydra: using cached $binary" >&2
	echo "$binary"
	exit 0
fi

if ! command -v "${CC:-gcc}" >/dev/null 2>&1; then
	echo "hydra: a C compiler (${CC:-gcc}) is required for the sqlite build tags; install gcc" >&2
	exit 1
fi

mkdir -p "$cache_dir"
partial=$(mktemp "$cache_dir/hydra-$version.XXXXXX")
trap 'rm -f "$partial"' EXIT

echo "hydra: building $version into $binary (several minutes on a cold build cache)" >&2
start=$SECONDS
CGO_ENABLED=1 go build -C "$module_dir" \
	-tags sqlite,sqlite_omit_load_extension \
	-ldflags "-X github.com/ory/hydra/v2/driver/config.Version=$version" \
	-o "$partial" github.com/ory/hydra/v2
chmod 0755 "$partial"
mv -f "$partial" "$binary"
echo "$want_stamp" >"$stamp"
echo "hydra: built in $((SECONDS - start)) s" >&2
echo "$binary"
