"""`antre-hub-web`: serves the hub's pages with uvicorn (a2wsgi runs Flask in threads).

    antre-hub-web --database postgresql:///antre_hub --secret-file /etc/antre-hub/secret \
        --port 8443 --certificate cert.pem --key key.pem

Any number can run behind a load balancer: they keep nothing but PostgreSQL (the
session is a signed cookie, so every process needs the same secret file).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from a2wsgi import WSGIMiddleware
from flask import Flask

from hub.web import create_app

# Threads for pages: each page is a handful of roll-up queries.
THREADS = 16


def asgi_app(app: Flask) -> WSGIMiddleware:
    return WSGIMiddleware(app, workers=THREADS)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antre-hub-web", description="Serve the hub's pages.")
    parser.add_argument(
        "--database", default=os.environ.get("ANTRE_HUB_DATABASE", "postgresql:///antre_hub")
    )
    parser.add_argument("--secret-file", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--certificate", type=Path)
    parser.add_argument("--key", type=Path)
    parser.add_argument("--silent-after-minutes", type=float, default=15.0)
    args = parser.parse_args(argv)
    try:
        secret = args.secret_file.read_text(encoding="utf-8").strip()
    except OSError as e:
        print(f"antre-hub-web: cannot read the secret file: {e}", file=sys.stderr)
        return 2
    app = create_app(
        args.database,
        {
            "SECRET_KEY": secret,
            "SILENT_AFTER_MINUTES": args.silent_after_minutes,
            "SESSION_COOKIE_SECURE": args.certificate is not None,
        },
    )
    uvicorn.run(
        asgi_app(app),
        host=args.host,
        port=args.port,
        ssl_certfile=args.certificate,
        ssl_keyfile=args.key,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
