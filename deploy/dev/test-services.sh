#!/usr/bin/env bash
# Makes sure what the test suite talks to is installed and running on this (Debian) machine:
# PostgreSQL and RabbitMQ, the openstack CLI the end-to-end tests drive and tempest, which runs
# OpenStack's interop tests against the all-in-one. Idempotent.
# The storage drivers' tests start their own throwaway Ceph cluster and GlusterFS volume, and the
# network drivers' tests their own namespaces and Open vSwitch daemons (libs/shared/testing/src/host,
# libs/network/drivers); only the packages are installed here, no daemon is started.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
packages=(
  postgresql rabbitmq-server python3-openstackclient tempest
  # Ceph: mon, mgr, one OSD, and the rbd/ceph/monmaptool/ceph-authtool commands
  ceph-mon ceph-mgr ceph-osd ceph-common
  # GlusterFS: glusterd, the gluster CLI and the FUSE client (glusterfs-client comes with it)
  glusterfs-server
  # qemu-img, which makes the test images
  qemu-utils
  nfs-ganesha nfs-ganesha-vfs rpcbind libnfs-utils qemu-block-extra  # NFS: ganesha serves in a netns; qemu's libnfs client and nfs-ls reach it
  # The network agents' data plane: bridges, VXLAN and namespaces (iproute2), Open vSwitch (its
  # tests start their own daemons), DHCP, NAT and filtering, and the instances' DHCP client and ping
  iproute2 openvswitch-switch dnsmasq-base iptables ipset conntrack ethtool busybox-static
  # IPv6: the routers' advertisements, and the instances' DHCPv6 client (busybox has none)
  radvd isc-dhcp-client
  # The compute agent's libvirt driver: libvirtd and QEMU (its tests start their own daemons), the
  # Debian kernel the test guest boots, and the ISO maker for config drives
  libvirt-daemon-system libvirt-clients qemu-system-x86 linux-image-amd64 genisoimage
  # deploy/install.sh's test: it copies the code with rsync; shellcheck lints it and
  # systemd-analyze (systemd) verifies its units
  rsync shellcheck systemd
  # The multi-host test probes each host's APIs from inside its namespace
  curl
)
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  echo "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=900 "${missing[@]}" >/dev/null
fi

cluster_version=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$cluster_version" main start
  until pg_isready -q -h 127.0.0.1 -p 5432; do sleep 0.2; done
fi
# The tests connect as postgres over TCP without a password (trust), as on the project's machines.
if ! psql -h 127.0.0.1 -U postgres -w -Atc 'select 1' postgres >/dev/null 2>&1; then
  hba=$(su postgres -c "psql -Atc 'show hba_file'")
  sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  su postgres -c "psql -qc 'select pg_reload_conf()'" >/dev/null
fi

if ! rabbitmqctl -q status >/dev/null 2>&1; then
  rabbitmq-server -detached
fi
rabbitmqctl -q await_startup
