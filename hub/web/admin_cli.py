"""`antre-hub-admin`: adds an account to the hub's pages.

antre-hub-admin --database postgresql:///antre_hub add rina "Rina" region
antre-hub-admin ... add joko "Joko" site_head --site samarinda
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

import psycopg

from hub.store.connect import connect
from hub.web.accounts import AccountError, Role, create_account


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antre-hub-admin", description="Hub web accounts.")
    parser.add_argument(
        "--database", default=os.environ.get("ANTRE_HUB_DATABASE", "postgresql:///antre_hub")
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an account (the password is asked for)")
    add.add_argument("username")
    add.add_argument("name")
    add.add_argument("role", choices=[role.value for role in Role])
    add.add_argument("--site", help="the site a site_head sees")
    add.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    args = parser.parse_args(argv)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Kata sandi / Password: ")
    try:
        with connect(args.database) as connection:
            user = create_account(
                connection, args.username, args.name, Role(args.role), password, args.site
            )
    except (AccountError, psycopg.OperationalError) as e:
        print(f"antre-hub-admin: {e}", file=sys.stderr)
        return 1
    print(f"added {user.username} ({user.role.value}{', ' + user.site if user.site else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
