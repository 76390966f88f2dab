// Package dockerrt runs target clusters as Docker containers and injects
// faults into them. It is the only package of faultline that imports the
// Docker SDK (github.com/docker/docker/client, negotiating the API version
// so that a Debian 20.10 daemon with API 1.41 works).
//
// # Objects and labels
//
// A run owns one user-defined bridge network, `faultline-<run>` (Internal:
// no default route, a random /24 inside 10.213.0.0/16 so node addresses can
// be pinned), and one container per node, `faultline-<run>-<node>`, whose
// hostname and network alias are the node name and whose IPv4 address is
// .10, .11, … of that /24. Node images are FROM scratch plus the faultline
// binary itself (see EnsureImage), tagged by the binary's hash. A target
// whose nodes run another program (etcd, a user's service) ships it with
// EnsureImageFromBinary (FROM scratch plus that static binary) or names an
// image the host has (HasImage), and gives ClusterSpec.SidecarImage a
// faultline image for the partition sidecars.
//
// Every container and network carries
//
//	io.faultline.owner=faultline
//	io.faultline.run=<run id>
//	io.faultline.pid=<controller pid>
//	io.faultline.host=<controller hostname>
//	io.faultline.role=node|sidecar     (containers)
//	io.faultline.node=<node name>      (node containers and their sidecars)
//
// Images carry the owner, pid and host labels and io.faultline.role=image,
// but no run label: one image serves every run of the same binary, so it
// belongs to no run. Clean removes images only when asked, and
// CleanOrphans never does.
//
// Teardown removes a run's objects by label, so it also works after a
// partial CreateCluster. Clean removes every faultline object (or one
// run's), and CleanOrphans removes the objects a dead controller on this
// host left behind without touching runs still in progress.
//
// # Why sidecars
//
// Partitions are nftables rules in each node's own network namespace: the
// node whose grudge names a peer drops every IPv4 packet whose source is
// that peer, as Jepsen's `iptables -A INPUT -s peer -j DROP` does. The
// rules are written by a one-shot sidecar container made from the node
// image (`faultline node netfault apply|heal`), started with NetworkMode
// "container:<node>" and CAP_NET_ADMIN as its only capability. This needs
// nothing on the host beyond the Docker API: no root, no nsenter, no nft
// binary, and it works against a remote daemon. The node containers themselves get no
// extra capability, and no container is ever privileged or granted
// SYS_TIME. The rules live in table `inet faultline`, never in Docker's
// own tables (the embedded DNS server's NAT rules live in the same
// namespace), and healing deletes that table.
//
// A one-way grudge is one-way only for datagrams: when n1 drops n2, TCP
// between them fails in both directions, because n1 also drops n2's
// answers (SYN-ACKs). PartitionWith with targets.PartitionOptions.OneWay
// makes it one-way for connections too: n1 then drops only packets of
// flows n2 initiated (`ct direction original`), so n2 cannot reach n1
// while n1's own connections to n2 work, answers included. Partitions
// are silent drops, so peers see timeouts; with Reject, dropped packets
// are answered with ICMP admin-prohibited and senders fail at once.
//
// # Packet faults
//
// Shape degrades the traffic between chosen nodes and the rest, in the
// same sidecar run and the same table: loss is an nftables `numgen random`
// drop at the receiver; rate, delay, jitter, duplication and reordering
// are applied at the sender by an htb qdisc (fa17:) on the node's uplink,
// with netem under the shaped class where the kernel has sch_netem, and
// packets to shaped peers are put in that class by an output rule that
// sets their priority, so traffic to the controller is not shaped.
// ProbePacket runs `netfault probe` to find which of these the kernel
// supports (this machine's kernel has no netem). Heal and Unshape remove
// the qdisc too. Partition options and packet faults are part of the
// node's rule set (netfault.Rules), kept in sync exactly as the grudge.
//
// Paused nodes (tested against Docker 20.10, API 1.41): a sidecar CAN join
// the network namespace of a paused node (Docker counts a paused container
// as running), and nftables works there since no process of the node has
// to run, so Partition and Heal apply to paused nodes at once; the frozen
// processes find the rules when they thaw. Exec, in contrast, is refused
// on a paused container. Resume re-checks the node's rules anyway (an
// inspect, and a sidecar only when they differ). A sidecar cannot join a
// stopped (killed) node; such a node gets its rules on Restart.
//
// # What survives a restart
//
// A node's container, name, hostname, alias, pinned IP and log survive
// Kill and Restart, and so does whatever it wrote to its filesystem (such
// as /data). Its network namespace does not: Docker gives a restarted
// container a fresh one, without the partition rules. The Cluster
// therefore remembers the grudge (and the packet faults) in force and
// re-applies the node's part of it after every Restart (there is a
// window of a few hundred milliseconds, between the start and the
// sidecar's batch, when the restarted node is not yet partitioned). A node that is killed while a
// partition is applied gets its rules when it is restarted.
package dockerrt
