#!/bin/bash
# Open MPI's launch agent (plm_rsh_agent) for the namespace tests: instead
# of ssh HOST CMD, run CMD inside HOST's network namespace, with its own
# hostname (a UTS namespace, so Open MPI sees two nodes) and that host's
# myribackd socket.  $MYX_NS_MAP lines: "ADDRESS NAMESPACE HOSTNAME SOCKET".
set -u
host=$1
shift
read -r _ ns name sock < <(awk -v h="$host" '$1 == h' "${MYX_NS_MAP:?}")
[ -n "${ns:-}" ] || { echo "ns_agent: unknown host $host" >&2; exit 255; }
exec ip netns exec "$ns" env MYRIXEN_SOCKET="$sock" unshare --uts sh -c "hostname $name && $*"
