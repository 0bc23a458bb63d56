#!/usr/bin/env bash
# Makes a bootable disk image from an ESP folder: a plain FAT32 file system
# over the whole disk (a "superfloppy"), which UEFI firmware boots from the
# removable-media path \EFI\BOOT\BOOTX64.EFI. Write it to a USB stick with
#   dd if=build/labyrinth.img of=/dev/sdX bs=4M conv=fsync
# Usage: mkimage.sh ESP_DIR IMAGE
set -euo pipefail
esp=$1 img=$2
size_mib=64
[ -f "$esp/EFI/BOOT/BOOTX64.EFI" ] || { echo "mkimage: $esp has no EFI/BOOT/BOOTX64.EFI" >&2; exit 2; }
mkfs=$(command -v mkfs.fat || echo /sbin/mkfs.fat)
rm -f "$img.tmp"
# FAT32 needs at least 65525 clusters: 64 MiB with 512-byte clusters.
"$mkfs" -F 32 -s 1 -n LABYRINTH -C "$img.tmp" $((size_mib * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mcopy -s -i "$img.tmp" "$esp"/* ::/
mdir -i "$img.tmp" -/ ::/ >/dev/null
mv "$img.tmp" "$img"
# The cmdline the image boots (make image CMDLINE=..., empty by default).
cmdline=$(cat "$esp/labyrinth/cmdline.txt" 2>/dev/null || true)
echo "mkimage: $img (${size_mib} MiB FAT32) ready, kernel cmdline \"$cmdline\""
