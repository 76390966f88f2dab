package main

import (
	"os"

	"github.com/faultline-io/faultline/cmd"
	_ "github.com/faultline-io/faultline/examples/httpkv" // registers --target httpkv
)

func main() { os.Exit(cmd.Main()) }
