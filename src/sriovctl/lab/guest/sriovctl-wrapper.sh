#!/bin/sh
# `sriovctl` inside the lab guest: runs the code of the source tree the host shares
# read-only at /mnt/src (a checkout has it under src/), so the guest always runs the
# project's *current* code, never a copy baked into the image.
if [ -d /mnt/src/src/sriovctl ]; then
  SRC=/mnt/src/src
elif [ -d /mnt/src/sriovctl ]; then
  SRC=/mnt/src
else
  echo "sriovctl: no source share at /mnt/src (boot with 'sriovctl lab run')" >&2
  exit 127
fi
export PYTHONPATH="$SRC${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1
exec python3 -m sriovctl "$@"
