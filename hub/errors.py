"""The hub's one exception base."""

from contract.errors import AntreError


class HubError(AntreError):
    """Something the hub cannot do, said in words an operator can act on."""
