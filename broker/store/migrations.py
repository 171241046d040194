"""Schema migrations: numbered SQL files, applied in order, tracked in user_version.

A file written by any earlier release opens and is brought up to date; a file from a
newer release is refused rather than misread.
"""

import sqlite3
from importlib import resources

from contract.errors import AntreError


class SchemaError(AntreError):
    """The database file's schema cannot be used by this release."""


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) of every migration shipped with this release, in order."""
    folder = resources.files("broker.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise SchemaError(f"migration files are not numbered 1..n: {versions}")
    return found


def migrate(connection: sqlite3.Connection, up_to: int | None = None) -> int:
    """Brings the schema to the newest version (or `up_to`); returns the version."""
    available = migrations()
    target = len(available) if up_to is None else up_to
    current: int = connection.execute("PRAGMA user_version").fetchone()[0]
    if current > len(available):
        raise SchemaError(
            f"the database has schema version {current}, newer than this release "
            f"knows ({len(available)}): upgrade Antre instead"
        )
    for version, sql in available[current:target]:
        # One transaction per migration: a crash leaves the file at a known version.
        with connection:
            connection.execute("BEGIN")
            for statement in _statements(sql):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version}")
    return max(current, target)


def _statements(sql: str) -> list[str]:
    """Splits a migration file into statements; a trigger's body stays whole.

    `sqlite3.complete_statement` knows that a `;` inside CREATE TRIGGER ... END does not
    end it (our files hold no ';' in strings or comments).
    """
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    statements: list[str] = []
    pending = ""
    for part in "\n".join(lines).split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip().removesuffix(";").strip())
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending.strip().removesuffix(";").strip())
    return statements
