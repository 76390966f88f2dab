package targets

import (
	"context"
	"sort"
)

// NodeProgram is code that runs inside a node's container (or a sidecar
// sharing its network namespace) as `faultline node NAME ARGS…`. Node
// images carry the faultline binary itself, so the server of a bundled
// target and the fault agents ship without any tools in the image.
type NodeProgram func(ctx context.Context, args []string) error

var nodePrograms = map[string]NodeProgram{}

// RegisterNodeProgram makes a program runnable as `faultline node NAME`.
// It panics on a duplicate name.
func RegisterNodeProgram(name string, p NodeProgram) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := nodePrograms[name]; dup {
		panic("targets: RegisterNodeProgram called twice for " + name)
	}
	nodePrograms[name] = p
}

// LookupNodeProgram returns the program registered under name.
func LookupNodeProgram(name string) (NodeProgram, bool) {
	mu.Lock()
	defer mu.Unlock()
	p, ok := nodePrograms[name]
	return p, ok
}

// NodeProgramNames lists the registered node programs, sorted.
func NodeProgramNames() []string {
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for n := range nodePrograms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
