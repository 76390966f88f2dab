package node

import "github.com/faultline-io/faultline/targets"

func init() {
	targets.RegisterNodeProgram("paxos", Main)
}
