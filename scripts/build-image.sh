#!/usr/bin/env bash
# Builds the image metatrain:latest (or $IMAGE) on a machine without an image registry: the engine
# and base image from scripts/install-containers.sh, the binary built here with
# --static-swift-stdlib, copied into deploy/Dockerfile's `prebuilt` stage. (With a registry,
# `docker build -f deploy/Dockerfile -t metatrain:latest .` builds it with Swift's own image.)
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-metatrain:latest}
./scripts/install-containers.sh
${SWIFT:-swift} build -c release --static-swift-stdlib --product metatrain --scratch-path .build-static
rm -rf deploy/bin
install -D -m 0755 .build-static/release/metatrain deploy/bin/metatrain
podman build --quiet -f deploy/Dockerfile --target prebuilt -t "$image" . >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "built $image ($((size / 1000000)) MB)"
