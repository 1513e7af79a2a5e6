#!/usr/bin/env bash
# Installs the system libraries metatrain binds (OpenBLAS, ZeroMQ, libpng, libjpeg, zlib, libcurl) when any is missing,
# and Debian's chromium (the headless browser Tests/ReportTests renders report pages with) when it is not
# on PATH, then the Python packages the tests use when python3 cannot import them: safetensors and numpy
# (export), tensorboard (event files), check-jsonschema and kubernetes-validate (deploy/).
# Idempotent: does nothing when pkg-config already finds all six, chromium is on PATH and python3 imports them all.
set -euo pipefail
need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
pkg-config --exists libzmq 2>/dev/null || need+=(libzmq3-dev)
pkg-config --exists libpng 2>/dev/null || need+=(libpng-dev)
pkg-config --exists libjpeg 2>/dev/null || need+=(libjpeg62-turbo-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
pkg-config --exists libcurl 2>/dev/null || need+=(libcurl4-openssl-dev)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing system packages: ${need[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
# Python's safetensors and NumPy: ExportTests check that exported weights load there and back.
if ! python3 -c "import safetensors, numpy" >/dev/null 2>&1; then
  echo "installing Python packages: safetensors numpy"
  python3 -m pip install --quiet safetensors numpy
fi
# TensorBoard's event reader: ClusterIntegrationTests read a run's event files back with it.
if ! python3 -c "import tensorboard" >/dev/null 2>&1; then
  echo "installing Python packages: tensorboard"
  python3 -m pip install --quiet tensorboard
fi
# Schema validators for deploy/ (DeployTests): check-jsonschema (Compose spec) and kubernetes-validate.
if ! python3 -c "import check_jsonschema, kubernetes_validate" >/dev/null 2>&1; then
  echo "installing Python packages: check-jsonschema kubernetes-validate"
  python3 -m pip install --quiet check-jsonschema kubernetes-validate
fi
