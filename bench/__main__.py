"""`make bench`: runs every benchmark in turn."""

from bench import engine_bench, mqtt_bench


def main() -> None:
    engine_bench.main()
    print()
    mqtt_bench.main()


if __name__ == "__main__":
    main()
