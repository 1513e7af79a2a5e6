# The README's two commands: `make train` and `make test`. Both install what is missing first.
SWIFT ?= swift
# OpenBLAS picks generic kernels on VMs with a generic CPU model; name the right ones.
export OPENBLAS_CORETYPE ?= $(shell ./scripts/blas-coretype.sh)

.PHONY: deps containers build static image train test bench clean

deps:
	@./scripts/install-deps.sh

# podman, podman-compose and the local base image (the test suite builds and runs the image).
containers:
	@./scripts/install-containers.sh

build: deps
	$(SWIFT) build -c release --product metatrain

# The container image (metatrain:latest) from a binary with the Swift runtime linked statically,
# built in .build-static (Swift Testing cannot be linked that way, so the tests build in .build).
image: deps
	@./scripts/build-image.sh

static: deps
	$(SWIFT) build -c release --static-swift-stdlib --product metatrain --scratch-path .build-static

train: build
	.build/release/metatrain train --preset sine-maml --workers 2

# The tests include the compose cluster, which runs an image made from the tests' own build.
test: deps containers
	$(SWIFT) test -c release

bench: build
	.build/release/metatrain bench ops

clean:
	rm -rf .build .build-static deploy/bin
