// Command faultline-httpkv is faultline with the example target linked in:
// the whole CLI (run, check, report, …) plus --target httpkv. Build it
// static, like faultline itself, since partitions ship it into sidecars:
//
//	CGO_ENABLED=0 go build -o bin/faultline-httpkv ./examples/httpkv/faultline-httpkv
//	CGO_ENABLED=0 go build -o bin/httpkv-server ./examples/httpkv/server
//	bin/faultline-httpkv run --target httpkv --target-opt binary=bin/httpkv-server \
//	    --nodes 3 --nemesis partition --time-limit 30s
package main
