#!/bin/sh
# hw-tests fixture: the daemon of a firmware that never becomes healthy (rollback test).
echo "mibee-nvr 0.3.0-broken: simulated broken build, exiting" >&2
sleep 2
exit 1
