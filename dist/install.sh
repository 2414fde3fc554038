#!/bin/sh
# Installs kassa on Debian: the binary, the kassa user and group, the
# kassa-support group, /etc/kassa, /var/lib/kassa, the systemd unit that runs
# kassa on tty1, an example udev rule for stable serial device names.
# Existing config files are kept.
#
# Who may do what (README, "What support can and cannot do"):
#   kassa          the service's user and group, alone: reads secrets.toml,
#                  writes the data (the store is the kassa user's, 0700);
#   kassa-support  engineers: /var/lib/kassa is kassa:kassa-support 2750, so
#                  what kassa makes there (logs, session journals, the status
#                  and watch sockets) takes that group: they read logs and
#                  journals and talk to the sockets, and write nothing.
#
#   sudo dist/install.sh [--binary target/release/kassa] [--root DIR] [--no-enable]
#
# --root DIR lays the files out under DIR (a package build, a test) and
# touches neither users nor services.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
binary="$here/../target/release/kassa"
root=""
enable=yes
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --root) root="$2"; enable=no; shift 2 ;;
        --no-enable) enable=no; shift ;;
        *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ ! -x "$binary" ]; then
    echo "install.sh: no kassa binary at $binary (build it: cargo build --release)" >&2
    exit 1
fi

system=no
if [ -z "$root" ]; then
    system=yes
    if [ "$(id -u)" != 0 ]; then
        echo "install.sh: run it as root (sudo), or give --root DIR" >&2
        exit 1
    fi
    if ! getent group kassa >/dev/null; then groupadd --system kassa; fi
    if ! getent group kassa-support >/dev/null; then groupadd --system kassa-support; fi
    if ! getent passwd kassa >/dev/null; then
        useradd --system --gid kassa --groups dialout --home-dir /var/lib/kassa --shell /usr/sbin/nologin kassa
    fi
fi
owner() { # owner USER:GROUP PATH — only on the real system
    if [ "$system" = yes ]; then chown "$1" "$2"; fi
}

install -d -m 0755 "$root/usr/bin" "$root/etc/kassa" "$root/etc/systemd/system" "$root/etc/udev/rules.d" "$root/usr/share/doc/kassa"
install -m 0755 "$binary" "$root/usr/bin/kassa"
# setgid: what kassa makes inside takes kassa-support, the group support reads with.
install -d -m 2750 "$root/var/lib/kassa"
owner kassa:kassa-support "$root/var/lib/kassa"
# An older install kept its logs and journals in the kassa group, group-writable.
for sub in logs sessions; do
    if [ "$system" = yes ] && [ -d "$root/var/lib/kassa/$sub" ]; then
        chgrp -R kassa-support "$root/var/lib/kassa/$sub"
        chmod -R g-w,o-rwx "$root/var/lib/kassa/$sub"
        chmod g+s "$root/var/lib/kassa/$sub"
    fi
done
if [ -d "$root/var/lib/kassa/kassa.sled" ]; then chmod 0700 "$root/var/lib/kassa/kassa.sled"; fi

if [ ! -e "$root/etc/kassa/config.toml" ]; then
    install -m 0644 "$here/config.toml" "$root/etc/kassa/config.toml"
fi
if [ ! -e "$root/etc/kassa/secrets.toml" ]; then
    install -m 0640 "$here/secrets.toml" "$root/etc/kassa/secrets.toml"
    owner root:kassa "$root/etc/kassa/secrets.toml"
fi
install -m 0644 "$here/kassa.service" "$root/etc/systemd/system/kassa.service"
if [ ! -e "$root/etc/udev/rules.d/99-kassa.rules" ]; then
    install -m 0644 "$here/99-kassa.rules" "$root/etc/udev/rules.d/99-kassa.rules"
fi
install -m 0644 "$here/../README.md" "$root/usr/share/doc/kassa/README.md"

"$root/usr/bin/kassa" config check "$root/etc/kassa/config.toml"

if [ "$enable" = yes ]; then
    systemctl daemon-reload
    udevadm control --reload 2>/dev/null || true
    systemctl disable getty@tty1.service 2>/dev/null || true
    systemctl enable --now kassa.service
    echo "kassa runs on tty1. Support: add engineers to the kassa-support group (usermod -aG kassa-support NAME)."
fi
if [ "$system" = yes ]; then
    # Anyone else in the kassa group reads the secrets and writes the data.
    members=$(getent group kassa | cut -d: -f4)
    if [ -n "$members" ]; then
        echo "install.sh: $members in the kassa group can read /etc/kassa/secrets.toml and write /var/lib/kassa;" >&2
        echo "  for support move each to kassa-support: gpasswd -d NAME kassa && usermod -aG kassa-support NAME" >&2
    fi
fi
