package all

import (
	_ "github.com/faultline-io/faultline/targets/paxos"      // the bundled Paxos target
	_ "github.com/faultline-io/faultline/targets/paxos/node" // node paxos: its server
)
