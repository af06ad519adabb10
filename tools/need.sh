#!/usr/bin/env bash
# need.sh COMMAND DEBIAN-PACKAGE: makes sure COMMAND exists, installing the Debian
# package with apt-get when it does not (as root); otherwise says why and fails.
set -u
cmd=$1 pkg=$2
command -v "$cmd" >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "sockshim: installing $pkg (for $cmd)" >&2
    { apt-get install -y -q "$pkg" || { apt-get update -q && apt-get install -y -q "$pkg"; }; } >/dev/null 2>&1
fi
command -v "$cmd" >/dev/null 2>&1 && exit 0
echo "sockshim: '$cmd' is missing: install the Debian package '$pkg' (needs root and apt-get)" >&2
exit 1
