# The README's two commands: `make train` and `make test`. Both install what is missing first.
SWIFT ?= swift

.PHONY: deps build train test bench clean

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product metatrain

train: build
	.build/release/metatrain train --preset sine-maml

test: deps
	$(SWIFT) test -c release

bench: build
	.build/release/metatrain bench ops

clean:
	rm -rf .build
