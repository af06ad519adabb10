#!/usr/bin/env bash
# need-musl.sh: makes sure musl-gcc and the Rust target <arch>-unknown-linux-musl are
# there, installing them when it can (root and apt-get; rustup). Otherwise prints the
# reason on stdout and fails.
set -u
cd "$(dirname "$0")/.."
target=$(uname -m)-unknown-linux-musl
tools/need.sh musl-gcc musl-tools 2>/dev/null ||
    { echo "musl-gcc is missing (Debian package musl-tools; installing it needs root and apt-get)"; exit 1; }
rustup target list --installed 2>/dev/null | grep -qx "$target" && exit 0
echo "sockshim: adding the Rust target $target" >&2
out=$(rustup target add "$target" 2>&1) && exit 0
echo "the Rust target $target is missing and 'rustup target add $target' failed: ${out##*$'\n'}"
exit 1
