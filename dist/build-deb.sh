#!/bin/sh
# Builds kassa_<version>_<arch>.deb from a built binary, laid out by install.sh.
#
#   dist/build-deb.sh [--binary target/release/kassa] [--out DIR] [--fast]
#
# --fast stores the files uncompressed (for tests).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
binary="$here/../target/release/kassa"
out="$here/../target"
compression="-Zxz"
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --fast) compression="-Znone"; shift ;;
        *) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$here/../Cargo.toml" | head -n 1)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

chmod 0755 "$stage"
"$here/install.sh" --root "$stage" --binary "$binary" >&2
install -d -m 0755 "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: kassa
Version: $version
Architecture: $arch
Maintainer: kassa developers <kassa@localhost>
Depends: libc6, adduser, systemd
Section: misc
Priority: optional
Description: Keyboard-driven terminal cashier workstation
 Sells on a thin Linux terminal: scanners, card readers, Shtrih-M and
 ESC/POS printers, loyalty servers (Frontol, KilBil, MaxBonus, ProBonus).
CONTROL
printf '/etc/kassa/config.toml\n/etc/kassa/secrets.toml\n/etc/udev/rules.d/99-kassa.rules\n' > "$stage/DEBIAN/conffiles"
cat > "$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    getent group kassa >/dev/null || groupadd --system kassa
    getent group kassa-support >/dev/null || groupadd --system kassa-support
    getent passwd kassa >/dev/null || useradd --system --gid kassa --groups dialout --home-dir /var/lib/kassa --shell /usr/sbin/nologin kassa
    # Support (kassa-support) reads logs and journals and uses the sockets; only kassa writes.
    chown kassa:kassa-support /var/lib/kassa
    chmod 2750 /var/lib/kassa
    # An older install kept logs and journals in the kassa group, group-writable.
    for sub in logs sessions; do
        if [ -d /var/lib/kassa/$sub ]; then
            chgrp -R kassa-support /var/lib/kassa/$sub
            chmod -R g-w,o-rwx /var/lib/kassa/$sub
            chmod g+s /var/lib/kassa/$sub
        fi
    done
    if [ -d /var/lib/kassa/kassa.sled ]; then chmod 0700 /var/lib/kassa/kassa.sled; fi
    chown root:kassa /etc/kassa/secrets.toml
    chmod 0640 /etc/kassa/secrets.toml
    systemctl daemon-reload || true
    udevadm control --reload 2>/dev/null || true
    systemctl disable getty@tty1.service 2>/dev/null || true
    systemctl enable kassa.service || true
    echo "kassa: support engineers go in kassa-support (usermod -aG kassa-support NAME), never in kassa"
    echo "kassa: edit /etc/kassa/config.toml, check it (kassa config check), then: systemctl start kassa"
fi
POSTINST
cat > "$stage/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ "$1" = remove ]; then
    systemctl disable --now kassa.service 2>/dev/null || true
    systemctl enable getty@tty1.service 2>/dev/null || true
fi
PRERM
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm"
mkdir -p "$out"
deb="$out/kassa_${version}_${arch}.deb"
dpkg-deb --root-owner-group $compression --build "$stage" "$deb" >/dev/null
echo "$deb"
