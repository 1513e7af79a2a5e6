#!/usr/bin/env bash
# Sets up a container engine for deploy/ on a Debian machine without an image registry, and makes
# the base image the Dockerfile's runtime stage starts from. Idempotent: each step is skipped when
# its result is already there.
#   1. Debian's podman, podman-compose, runc and debootstrap (apt);
#   2. podman's engine settings (/etc/containers/containers.conf): the runc runtime (crun refuses
#      hybrid cgroup hierarchies) and default ulimits within what the host allows (podman as root
#      asks for more, and setrlimit fails with "OCI permission denied");
#   3. the base image `debian:bookworm-slim`, made with `debootstrap --variant=minbase` from this
#      machine's configured Debian package source, with that source and its apt settings copied
#      in so `apt-get` works in RUN steps.
# Machines that can pull from a registry need none of this: `docker build` pulls the base image.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
for tool in podman podman-compose runc debootstrap; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing container packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

conf=/etc/containers/containers.conf
if ! grep -q '^# metatrain engine settings' "$conf" 2>/dev/null; then
  nofile=$(ulimit -Hn)
  [ "$nofile" = unlimited ] && nofile=1048576
  echo "writing podman engine settings to $conf (runtime runc, nofile=$nofile, nproc=32768)"
  $SUDO mkdir -p /etc/containers
  $SUDO tee -a "$conf" >/dev/null <<EOF
# metatrain engine settings (scripts/install-containers.sh)
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
fi

base=docker.io/library/debian:bookworm-slim
if ! $SUDO podman image exists "$base"; then
  # The package source apt uses on this machine (deb822 .sources first, then sources.list).
  uri=$(grep -hm1 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hm1 '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)
  fi
  uri=${uri:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d /tmp/metatrain-rootfs.XXXXXX)
  trap '$SUDO rm -rf "$rootfs"' EXIT
  echo "making the base image $base with debootstrap from $uri (about a minute)"
  $SUDO debootstrap --variant=minbase bookworm "$rootfs" "$uri" >/tmp/metatrain-debootstrap.log 2>&1 \
    || { echo "debootstrap failed: see /tmp/metatrain-debootstrap.log" >&2; exit 1; }
  # apt inside the image uses the same source and settings as this machine.
  $SUDO rm -f "$rootfs/etc/apt/sources.list"
  $SUDO mkdir -p "$rootfs/etc/apt/sources.list.d" "$rootfs/etc/apt/apt.conf.d"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && $SUDO cp "$f" "$rootfs$f"
  done
  for f in /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && $SUDO cp "$f" "$rootfs/etc/apt/apt.conf.d/"
  done
  $SUDO rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  $SUDO tar -C "$rootfs" -c . | $SUDO podman import --quiet --change 'CMD ["/bin/bash"]' - "$base" >/dev/null
  echo "made $base"
fi
