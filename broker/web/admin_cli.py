"""`antre-admin`: staff accounts from the command line, starting with the first admin.

There is no default password: the first admin is made here, on the central, by
someone who can read its database.
"""

import argparse
import getpass
import sys

from broker.web.accounts import AccountError, Accounts, Role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antre-admin", description=__doc__)
    parser.add_argument("--db", required=True, help="the central's SQLite file")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="make a staff account")
    create.add_argument("username")
    create.add_argument("--name", default="")
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.CLERK.value)
    create.add_argument("--counters", default="", help="for a clerk: e.g. 1,2")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    commands.add_parser("list", help="list the staff accounts")
    args = parser.parse_args(argv)

    accounts = Accounts(args.db)
    try:
        if args.command == "list":
            for user in accounts.all():
                state = " (disabled)" if user.disabled else ""
                counters = ",".join(map(str, user.counters)) or "-"
                print(f"{user.username:<16} {user.role.value:<8} loket {counters}{state}")
            return 0
        password = _password(args.password_stdin)
        numbers = tuple(int(c) for c in args.counters.split(",") if c.strip())
        user = accounts.create(args.username, args.name, Role(args.role), password, numbers)
        print(f"made {user.role.value} {user.username}")
        return 0
    except (AccountError, ValueError) as e:
        print(f"antre-admin: {e}", file=sys.stderr)
        return 1
    finally:
        accounts.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


if __name__ == "__main__":
    sys.exit(main())
