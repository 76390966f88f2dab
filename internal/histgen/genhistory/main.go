package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/faultline-io/faultline/internal/histgen"
)

func main() {
	out := flag.String("o", "", "directory to write (created)")
	ops := flag.Int("ops", 100_000, "history entries (invocations plus completions)")
	keys := flag.Int("keys", 100, "registers")
	clients := flag.Int("clients", 10, "concurrent clients")
	info := flag.Float64("info", 0.01, "fraction of operations that complete info")
	seed := flag.Uint64("seed", 42, "seed")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: genhistory -o DIR [-ops N] [-keys N] [-clients N] [-info F] [-seed S]")
		os.Exit(2)
	}
	h := histgen.Register(*seed, *ops, *keys, *clients, *info)
	if err := histgen.WriteRunDir(*out, h, int64(*seed)); err != nil {
		fmt.Fprintln(os.Stderr, "genhistory:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d ops, %d keys, %d clients\n", *out, len(h), *keys, *clients)
}
