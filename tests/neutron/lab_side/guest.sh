#!/bin/bash
# In the lab guest (run by tests/neutron/test_lab_loop.py): the real SR-IOV agent on the
# igb PF, against the host's RabbitMQ and neutron API (reached through guestfwd at
# 10.0.2.100), then drive.py binds a direct port to this host and waits for ACTIVE.
set -euo pipefail
t0=$(cut -d' ' -f1 /proc/uptime)
mkdir -p /mnt/neutron
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro neutron /mnt/neutron
export PYTHONPATH=/mnt/neutron PYTHONDONTWRITEBYTECODE=1 PYTHONWARNINGS=ignore
PF=
for n in /sys/class/net/*; do
  if [ -z "$PF" ] && [ -e "$n/device/sriov_totalvfs" ]; then PF=$(basename "$n"); fi
done
[ -n "$PF" ] || { echo "guest: no SR-IOV PF"; exit 1; }
ip link set "$PF" up
ip addr add 10.0.2.15/24 dev "$PF"
echo 2 > "/sys/class/net/$PF/device/sriov_numvfs"
udevadm settle --timeout=30 || true
mkdir -p /tmp/neutron/state /tmp/neutron/lock
cat > /tmp/neutron/agent.conf <<CONF
[DEFAULT]
transport_url = rabbit://guest:guest@10.0.2.100:5672/
state_path = /tmp/neutron/state
host = lab-guest
[oslo_concurrency]
lock_path = /tmp/neutron/lock
[sriov_nic]
physical_device_mappings = sriovnet1:$PF
[agent]
report_interval = 10
[securitygroup]
firewall_driver = noop
CONF
# No sudo in the guest, and we are root: every privsep context starts its helper directly
# (the link context is the one the agent uses to read and set VFs).
for section in privsep privsep_link privsep_namespace privsep_dhcp_release privsep_ovs_vsctl \
               privsep_conntrack; do
  printf '[%s]\nhelper_command = python3 -m oslo_privsep.daemon\n' "$section" >> /tmp/neutron/agent.conf
done
echo "guest: PF $PF, VFs: $(ls /sys/class/net/$PF/device/ | grep -c virtfn); starting the agent at $(cut -d' ' -f1 /proc/uptime) s"
python3 -c 'import sys; from neutron.cmd.plugins.sriov_nic_neutron_agent import main; sys.exit(main())' \
  --config-file /tmp/neutron/agent.conf --log-file /mnt/lab/agent.log &
agent=$!
rc=0
python3 /mnt/lab/drive.py "$PF" || rc=$?
kill "$agent" 2>/dev/null || true
wait "$agent" 2>/dev/null || true
echo "guest: done at $(cut -d' ' -f1 /proc/uptime) s (script started at $t0 s)"
exit $rc
