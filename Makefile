# faultline — see README.md. `make run` does a real run against the bundled
# Raft target; `make test` runs every test (unit and Docker).
GO      ?= go
BIN     := bin/faultline
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/faultline-io/faultline/cmd.Version=$(VERSION)
# Node images carry the faultline binary itself, so it must be static.
export CGO_ENABLED := 0

RUN_FLAGS ?= --target raft --workload register --nemesis partition,kill,pause --time-limit 60s

.PHONY: build run test vet fuzz bench clean etcd-image

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/faultline

run: build
	$(BIN) run $(RUN_FLAGS)

vet:
	$(GO) vet ./...

# The race detector needs cgo.
test: vet
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 14m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./harness/history/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean: build
	$(BIN) clean

# The etcd target's image (faultline-etcd:<version>): etcd built from
# go.etcd.io/etcd/server/v3 in the nested module targets/etcd/etcdbuild,
# cached under the user cache dir. `--target etcd` does this on first use.
etcd-image:
	$(GO) run ./targets/etcd/etcdimage

# Check the 122 Knossos histories in ../shared/data (beside the repository)
# against the verdicts EXPECTED.tsv gives; skips when that folder is absent.
.PHONY: knossos
knossos:
	$(GO) test -count=1 -run '^TestKnossosHistories$$' -v ./checker/models/
