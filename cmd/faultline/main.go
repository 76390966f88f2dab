// Command faultline runs Jepsen-style fault-injection tests against
// clusters in Docker and checks the histories they record.
package main

import (
	"os"

	"github.com/faultline-io/faultline/cmd"
)

func main() { os.Exit(cmd.Main()) }
