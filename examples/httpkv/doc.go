// Package httpkv is the example adapter of docs/adding-a-target.md: a
// target for a small HTTP key-value service (./server) that is not part
// of faultline, written only against faultline's public packages
// (targets, targets/dockerrt). It registers as "httpkv" when imported;
// the faultline binary does not import it, a custom main does:
//
//	import (
//		_ "github.com/faultline-io/faultline/examples/httpkv"
//		"github.com/faultline-io/faultline/cmd"
//	)
//
//	func main() { os.Exit(cmd.Main()) }
package httpkv
