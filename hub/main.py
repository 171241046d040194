"""`antre-hub`: one ingest process of the region's hub.

    antre-hub --credentials /etc/antre-hub/credentials/antre-hub.toml \
        --database postgresql:///antre_hub

Run several (on one machine or more): they share the records through Mosquitto's
shared subscription and keep nothing but PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from contract.credentials import load_credentials
from contract.errors import ConfigError
from contract.logs import configure_logging
from contract.sd_notify import Notifier
from hub.ingest import Ingest


def build_ingest(credentials_path: Path, database_url: str, client_id: str | None) -> Ingest:
    """The process, ready to start: its credentials read and checked."""
    credentials = load_credentials(credentials_path)
    name = client_id or f"antre-hub-{socket.gethostname()}-{os.getpid()}"
    return Ingest(credentials, database_url, client_id=name, notifier=Notifier.from_environment())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antre-hub", description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=Path, required=True)
    parser.add_argument(
        "--database", default=os.environ.get("ANTRE_HUB_DATABASE", "postgresql:///antre_hub")
    )
    parser.add_argument("--client-id")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    try:
        ingest = build_ingest(args.credentials, args.database, args.client_id)
        ingest.start()
    except ConfigError as e:
        print(f"antre-hub: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"antre-hub: cannot start: {e}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
        ingest.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ingest.wait()
    ingest.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
