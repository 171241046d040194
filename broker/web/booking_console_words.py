"""Words of the staff's booking pages (the help desk's check-in, the booking rules of a
service's edit page): Bahasa Indonesia first, English second. Merged into `i18n.WORDS`."""

# key: (Bahasa Indonesia, English)
BOOKING_CONSOLE_WORDS: dict[str, tuple[str, str]] = {
    "help_desk": ("Meja bantuan", "Help desk"),
    "hd_check_in": ("Check-in booking", "Booking check-in"),
    "hd_code": ("Kode booking", "Booking code"),
    "hd_code_hint": (
        "Ketik kode dari layar ponsel atau kertas warga, misalnya A-7K3M9Q",
        "Type the code from the citizen's phone or paper, e.g. A-7K3M9Q",
    ),
    "hd_submit": ("Check-in", "Check in"),
    "hd_ticket_for": ("Nomor antrean untuk", "Ticket for"),
    "hd_write_down": (
        "Tuliskan nomor ini untuk warga, atau cetak halaman ini.",
        "Write this number down for the citizen, or print this page.",
    ),
    "hd_slot": ("Jam kedatangan", "Arrival time"),
    "hd_walk_in": (
        "Terlambat: mengantre sebagai pengunjung tanpa booking",
        "Late: queues as a walk-in",
    ),
    "hd_already": ("Sudah check-in dengan nomor", "Already checked in with number"),
    "hd_from": ("Check-in dibuka pukul", "Check-in opens at"),
    "hd_no_bookings": (
        "Sistem ini tidak menyimpan booking",
        "This central keeps no bookings",
    ),
    "hd_next": ("Check-in berikutnya", "Next check-in"),
}
