"""Ports for the servers a test starts (``reservaflow up``, an SMTP server).

``RESERVAFLOW_TEST_PORTS=18100-18199`` keeps them in that range, so test runs that share a
machine do not take each other's ports; unset, the system picks a free one."""

import os
import random
import socket


def free_port() -> int:
    """A port nothing listens on now (the caller starts its server on it right away)."""
    spec = os.environ.get("RESERVAFLOW_TEST_PORTS", "").strip()
    if not spec:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    low, _, high = spec.partition("-")
    candidates = list(range(int(low), int(high or low) + 1))
    random.shuffle(candidates)  # a port the previous test just let go may linger
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in RESERVAFLOW_TEST_PORTS={spec}")
