"""Schema migrations: numbered SQL files, applied in order, recorded in `schema_versions`.

Two hub processes starting at once both migrate: an advisory lock makes the second wait
and then find the work done.
"""

from importlib import resources

import psycopg

from hub.errors import HubError

# Any constant both processes agree on: it names the migration lock.
MIGRATION_LOCK = 7_346_001


class SchemaError(HubError):
    """The database's schema cannot be used by this release."""


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) of every migration shipped with this release, in order."""
    folder = resources.files("hub.store") / "migrations"
    found = [
        (int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    ]
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise SchemaError(f"migration files are not numbered 1..n: {versions}")
    return found


def migrate(connection: psycopg.Connection[object]) -> int:
    """Brings the schema to the newest version; returns it."""
    available = migrations()
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_versions ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        row = connection.execute("SELECT coalesce(max(version), 0) FROM schema_versions").fetchone()
        current = int(row[0]) if row else 0  # type: ignore[index]
        if current > len(available):
            raise SchemaError(
                f"the database has schema version {current}, newer than this release "
                f"knows ({len(available)}): upgrade Antre instead"
            )
        # One transaction for all: a crash leaves the schema at a known version.
        for version, sql in available[current:]:
            connection.execute(sql)
            connection.execute("INSERT INTO schema_versions (version) VALUES (%s)", (version,))
    return len(available)
