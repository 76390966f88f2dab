package all

import _ "github.com/faultline-io/faultline/targets/dockerrt/netcheck" // node listen / node probe: reachability checks
