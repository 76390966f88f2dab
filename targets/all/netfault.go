package all

import _ "github.com/faultline-io/faultline/targets/dockerrt/netfault" // node netfault: the nftables agent run in sidecars
