package models

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/faultline-io/faultline/checker"
	"github.com/faultline-io/faultline/checker/linearizable"
)

// Info describes a model for help texts.
type Info struct {
	Name string
	Ops  string // the fs it knows and their values
	Init string // what --init takes, and the default
}

type entry struct {
	info Info
	make func(init json.RawMessage) (*linearizable.Model, error)
}

var registry = map[string]entry{
	linearizable.CASRegisterModel: {Info{linearizable.CASRegisterModel,
		"read (→ v), write v, cas [from to]", "an integer, or nil (the default)"},
		func(init json.RawMessage) (*linearizable.Model, error) { return linearizable.NewRegister(true, init) }},
	linearizable.RegisterModel: {Info{linearizable.RegisterModel,
		"read (→ v), write v", "an integer, or nil (the default)"},
		func(init json.RawMessage) (*linearizable.Model, error) { return linearizable.NewRegister(false, init) }},
	MultiRegister: {Info{MultiRegister,
		"txn [[:read k v] [:write k v] …] over several registers", "a map such as {:x 0 :y 0}; absent keys, and nil (the default), start nil"},
		newMultiRegister},
	Mutex: {Info{Mutex, "acquire, release", "nil or false (the default: unlocked), or true (locked)"}, newMutex},
	Set:   {Info{Set, "add v, read (→ the whole set)", "a vector or set of elements, or nil (the default: empty)"}, newSet},
}

// Model names beyond the registers, which linearizable defines.
const (
	MultiRegister = "multi-register"
	Mutex         = "mutex"
	Set           = "set"
)

// Default is the model Knossos's command line checks with.
const Default = linearizable.CASRegisterModel

// Names lists the models, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Infos describes every model, sorted by name.
func Infos() []Info {
	var is []Info
	for _, n := range Names() {
		is = append(is, registry[n].info)
	}
	return is
}

// New returns the model called name whose keys start in init, given as
// JSON (an EDN --init converted with edn.ToJSON); nil or empty means the
// model's default.
func New(name string, init json.RawMessage) (*linearizable.Model, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (have: %s)", name, strings.Join(Names(), ", "))
	}
	m, err := e.make(init)
	if err != nil {
		return nil, fmt.Errorf("--init for %s: %w", name, err)
	}
	return m, nil
}

// Checker returns the linearizability checker of histories of model m
// alone: each key (Op.Key; one key when there are none) is checked
// independently, and a client op whose f the model does not know makes its
// key undecided rather than being ignored, as Knossos refuses such a
// history. timeout 0 means none.
func Checker(m *linearizable.Model, timeout time.Duration) checker.Checker {
	return linearizable.New(linearizable.Options{Model: m, Strict: true, Timeout: timeout})
}
