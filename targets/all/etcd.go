package all

import _ "github.com/faultline-io/faultline/targets/etcd" // etcd, built from go.etcd.io/etcd/server/v3
