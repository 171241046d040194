"""`make bench`: runs every benchmark in turn."""

from bench import (
    announcement_bench,
    booking_rush_bench,
    display_bench,
    engine_bench,
    footprint_bench,
    hub_bench,
    kiosk_bench,
    live_pages_bench,
    mqtt_bench,
    system_bench,
)


def main() -> None:
    engine_bench.main()
    print()
    mqtt_bench.main()
    print()
    kiosk_bench.main()
    print()
    display_bench.main()
    print()
    announcement_bench.main()
    print()
    system_bench.main()
    print()
    footprint_bench.main()
    print()
    live_pages_bench.main()
    print()
    hub_bench.main([])
    booking_rush_bench.main()


if __name__ == "__main__":
    main()
