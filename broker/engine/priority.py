"""The priority interleave: priority tickets go first, but never starve the rest.

A counter walks a cycle of `priority_calls + regular_calls` slots: the first slots
call a priority ticket, the rest a regular one. The cycle only advances when both
kinds are waiting, because only then is somebody passed over.
"""

from contract.site import PriorityPolicy


def choose_priority(
    policy: PriorityPolicy, cycle: int, priority_waiting: bool, regular_waiting: bool
) -> tuple[bool, int]:
    """Whether to call a priority ticket next, and the counter's next cycle position.

    At least one kind must be waiting.
    """
    if priority_waiting and regular_waiting:
        length = policy.priority_calls + policy.regular_calls
        return cycle < policy.priority_calls, (cycle + 1) % length
    if priority_waiting:
        # Nobody regular was passed over: the cycle stays where it is.
        return True, cycle
    if not regular_waiting:
        raise ValueError("nobody is waiting")
    # A regular call with no priority ticket waiting owes nothing to anyone.
    return False, 0
