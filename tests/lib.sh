# SPDX-License-Identifier: GPL-2.0
#
# lib.sh - shell helpers of the bash tests (sourced from the top of the
# tree: `. tests/lib.sh`).

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: polls CMD (its output discarded) every 50 ms
# until it succeeds; 1 if SECONDS passed first.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" > /dev/null 2>&1; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# The background processes a test started ("pids+=($!)"): stop_pids
# stops each by its PID (never by name) and forgets them; cleanup, the
# EXIT trap of such a test, also removes its $tmp.
pids=()
stop_pids() {
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null && wait "$p" 2> /dev/null
	done
	pids=()
}

cleanup() {
	stop_pids
	[ -n "${tmp:-}" ] && rm -rf "$tmp"
}
