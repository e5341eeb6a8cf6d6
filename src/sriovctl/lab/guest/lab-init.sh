#!/bin/bash
# PID 1 of the sriovctl lab guest (installed as /sbin/sriovctl-lab-init).
#
# Why not systemd: a full boot costs ~37 s under TCG, this ~20 s. It does only what
# the lab needs: pseudo filesystems, udev coldplug (module autoload and predictable
# names: enp1s0, VFs enp1s0v0..6), the 9p shares, then either the run's script or
# an interactive shell, and always a power-off.
#
# Channels: ttyS0 is the console (kernel messages and the "LAB:" milestones the host
# reads for progress); ttyS1 carries only the script's output, streamed by the host.
# The exit status is written to the share, so a lost line can never fake a result.
#
# Under a full systemd boot (lab.init=systemd) the same script runs as the unit
# sriovctl-lab.service: systemd has mounted the pseudo filesystems and runs udev, so
# those steps are skipped (mnt() skips what is mounted); the rest is the same.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=${TERM:-linux} SRIOVCTL_LAB=1 PYTHONDONTWRITEBYTECODE=1
CONSOLE=/dev/ttyS0
mnt() { mountpoint -q "$3" || mount -t "$1" "$2" "$3"; }
say() { echo "LAB: $* uptime=$(cut -d' ' -f1 /proc/uptime)" > "$CONSOLE"; }
power_off() {
  sync
  umount /mnt/lab /mnt/src 2>/dev/null
  sync
  echo o > /proc/sysrq-trigger
  while :; do sleep 10; done  # PID 1 must never exit: that would be a panic
  # (under systemd too: the power-off is sysrq's, immediate; the disk is snapshot=on)
}

mnt proc proc /proc; mnt sysfs sys /sys; mnt devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mnt devpts devpts /dev/pts; mnt tmpfs tmpfs /run; mnt tmpfs tmpfs /tmp; mnt tmpfs tmpfs /dev/shm
mount -o remount,rw / 2>/dev/null
hostname sriovlab
ip link set lo up
say "init start"

MODE=run
for word in $(cat /proc/cmdline); do
  case "$word" in lab.mode=*) MODE=${word#lab.mode=} ;; esac
done

if [ "$$" = 1 ]; then
  /lib/systemd/systemd-udevd --daemon > /dev/null 2>&1
  udevadm trigger --action=add --type=subsystems
  udevadm trigger --action=add --type=devices
fi
udevadm settle --timeout=60

modprobe 9pnet_virtio; modprobe 9p
P9="trans=virtio,version=9p2000.L,msize=262144"
share_present() { grep -qx "$1" /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null; }
if share_present lab; then
  mount -t 9p -o "$P9" lab /mnt/lab || say "error: cannot mount the lab share"
fi
if share_present src && ! mountpoint -q /mnt/src; then  # under systemd: fstab's automount
  mount -t 9p -o "$P9,ro" src /mnt/src || say "error: cannot mount the source share"
fi
say "udev settled"

if [ "$MODE" = shell ]; then
  say "shell (exit or Ctrl-D powers off)"
  cd /root
  setsid -c /bin/bash -l < "$CONSOLE" > "$CONSOLE" 2>&1
  power_off
fi

rc=127
if [ -f /mnt/lab/guest-script ]; then
  stty -F /dev/ttyS1 raw -echo 2>/dev/null  # no CR/LF rewriting: the host gets the bytes
  say "script begin"
  cd /mnt/lab
  bash /mnt/lab/guest-script < /dev/null 2>&1 | tee /mnt/lab/guest-output.txt > /dev/ttyS1
  rc=${PIPESTATUS[0]}
  cd /
else
  say "error: no /mnt/lab/guest-script"
fi
echo "$rc" > /mnt/lab/guest-rc.tmp && mv /mnt/lab/guest-rc.tmp /mnt/lab/guest-rc
say "done rc=$rc"
power_off
