"""The one exception base of Antre, and the errors every role can meet."""


class AntreError(Exception):
    """Base of every error Antre raises on purpose."""


class ConfigError(AntreError, ValueError):
    """A site configuration file that cannot be used, with the key at fault."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")
