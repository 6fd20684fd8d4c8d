#!/bin/sh
# size.sh - build the applet for the Cortex-M4 stub board from scratch in a
# temp dir (plain compiler calls, not meson) and print its size.
# The last line is "flash=N ram=N" in bytes, from arm-none-eabi-size:
# flash = text + data, ram = data + bss (bss includes the 1 KB stack).
# With --check, exit 1 when flash > 16384 or ram > 2048.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
check=0
[ "${1:-}" = "--check" ] && check=1
CC=${ARM_CC:-arm-none-eabi-gcc}
SIZE=${ARM_SIZE:-arm-none-eabi-size}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cflags="-mcpu=cortex-m4 -mthumb -Os -std=c99 -ffreestanding -ffunction-sections -fdata-sections -Wall -Wextra -Werror -fstack-usage -I$here/include"
$CC $cflags -c "$here/applet/lm_applet.c" -o "$tmp/lm_applet.o"
$CC $cflags -c "$here/cortex-m/board.c" -o "$tmp/board.o"
$CC -mcpu=cortex-m4 -mthumb -Os -nostartfiles --specs=nano.specs -Wl,--gc-sections \
	-T "$here/cortex-m/board.ld" -Wl,-Map="$tmp/applet.map" \
	-o "$tmp/applet.elf" "$tmp/lm_applet.o" "$tmp/board.o"
$SIZE "$tmp/applet.elf"
echo "deepest stack frames (bytes):"
sort -t'	' -k2 -n -r "$tmp"/*.su | head -5
set -- $($SIZE "$tmp/applet.elf" | tail -1)
flash=$(($1 + $2))
ram=$(($2 + $3))
echo "flash=$flash ram=$ram"
if [ "$check" = 1 ] && { [ "$flash" -gt 16384 ] || [ "$ram" -gt 2048 ]; }; then
	echo "over budget: flash <= 16384, ram <= 2048" >&2
	exit 1
fi
exit 0
