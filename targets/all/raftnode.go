package all

import _ "github.com/faultline-io/faultline/targets/raft/node"
