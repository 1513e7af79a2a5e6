# The README's two commands: `make train` and `make test`. Both install what is missing first.
SWIFT ?= swift
# OpenBLAS picks generic kernels on VMs with a generic CPU model; name the right ones.
export OPENBLAS_CORETYPE ?= $(shell ./scripts/blas-coretype.sh)

.PHONY: deps build train test bench clean

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product metatrain

train: build
	.build/release/metatrain train --preset sine-maml --workers 2

test: deps
	$(SWIFT) test -c release

bench: build
	.build/release/metatrain bench ops

clean:
	rm -rf .build
