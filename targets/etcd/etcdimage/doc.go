// Command etcdimage builds the etcd target's image ahead of its first use:
// the etcd binary from the nested build module (cached under the user
// cache directory) and the image faultline-etcd:<version> from it. `make
// etcd-image` runs it from the top of a faultline checkout; it prints the
// image's tag.
package main
