#!/usr/bin/env bash
# Checks that the Debian packages Labyrinth needs are installed, and installs
# the missing ones when run as root. Without root it prints the exact command.
set -euo pipefail

packages=(build-essential nasm gnu-efi qemu-system-x86 ovmf mtools dosfstools xorriso
	clang libclang-rt-14-dev gnuplot-nox graphviz gdb procps time)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: install them with:  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
