// Command etcdbuild is the etcd server (etcd's own main,
// go.etcd.io/etcd/server/v3/etcdmain), built from etcd's published Go
// modules so that faultline can test a real etcd without a registry.
//
// It is a module of its own, nested in faultline's source tree, so that
// etcd's dependencies stay out of faultline's go.mod. The etcd target
// (targets/etcd) builds it on first use, or `make etcd-image` does:
//
//	cd targets/etcd/etcdbuild
//	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o etcd .
//
// The version built is the one go.mod requires; targets/etcd.Version must
// match it (a test checks).
package main
