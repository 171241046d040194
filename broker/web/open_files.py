"""How many connections a listener can hold: each is an open file of the process.

systemd starts a service with a soft limit of 1,024 open files (its hard limit is far
higher), which would cap a hall of open ticket pages at about a thousand whatever the
server allows; past it `accept()` fails and a phone waits in the backlog unanswered. So
a web process raises its soft limit to what its listener needs, as far as the hard limit
allows, and holds no more connections than the files it has: one more is answered 503 at
once. Under antre-central.service, whose system call filter refuses `setrlimit`, the
unit's `LimitNOFILE=` gives both limits at once and nothing needs raising.
"""

import logging
import resource

log = logging.getLogger(__name__)

# Open files a web process needs besides its connections: the database and its WAL, the
# logs, MQTT, the thread pool's pipes, the child's pipe, and room to spare.
OTHER_FILES = 256


def connections_allowed(wanted: int) -> int:
    """Raises the soft limit on open files towards `wanted` connections and the other
    files (up to the hard limit); the connections the process can then hold."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + OTHER_FILES
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            if raised > soft:
                resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
                soft = raised
        except (ValueError, OSError) as e:
            # antre-central.service filters @resources: its LimitNOFILE= must be enough.
            log.warning("could not raise the limit on open files to %d: %s", raised, e)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return wanted
    allowed = max(1, soft - OTHER_FILES)
    log.warning(
        "open files are limited to %d: %d connections at once, not %d "
        "(LimitNOFILE= in the service's unit raises it)",
        soft,
        allowed,
        wanted,
    )
    return allowed
