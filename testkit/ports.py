"""THE free-port helper: a port on 127.0.0.1 for a server a test or a benchmark starts."""

import random
import socket

# Ports handed out by this process: a server given one may not be listening yet when the next is asked for.
handed_out = set()


def free_port(ports=None):
    """A TCP port on 127.0.0.1 that nothing listens on and that this process has not handed out before.

    From `ports` (a range kept for a kind of server, clear of the machine's services and of the system's ephemeral
    ports, which outgoing connections take) in random order, so that runs sharing the range rarely meet; else any
    port the system offers.
    """
    if ports is None:
        while True:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            if port not in handed_out:
                handed_out.add(port)
                return port
    candidates = [port for port in ports if port not in handed_out]
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        handed_out.add(port)
        return port
    if len(candidates) < len(ports):
        # Every port was handed out once: start again with those free now.
        handed_out.difference_update(ports)
        return free_port(ports)
    raise OSError(f"No free port in {ports}")
