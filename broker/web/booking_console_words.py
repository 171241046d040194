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
    # -- a service's booking rules (admin/service_bookings.py) --
    "adm_booking": ("Booking", "Bookings"),
    "adm_booking_help": (
        "Jam kedatangan yang dapat dibooking warga. Booking yang sudah dibuat tetap berlaku.",
        "The arrival times citizens can book. Bookings already made stand.",
    ),
    "adm_takes_bookings": ("Layanan ini menerima booking", "This service takes bookings"),
    "adm_sessions_help": (
        "Sesi per hari: mulai-selesai/kuota, dipisah koma, misalnya 08:00-10:00/20.",
        "Sessions per day: start-end/places, separated by commas, e.g. 08:00-10:00/20.",
    ),
    "adm_slot_minutes": ("Panjang slot kedatangan (menit)", "Arrival slot length (minutes)"),
    "adm_kept": ("Kuota harian yang disisihkan untuk booking", "Daily quota kept for bookings"),
    "adm_kept_help": (
        "Kosong: seluruh kuota sesi hari itu.",
        "Empty: all the places of that day's sessions.",
    ),
    "adm_days_ahead": ("Dapat dibooking sejak (hari sebelumnya)", "Bookable from (days ahead)"),
    "adm_opens_at": ("Booking dibuka pukul", "Booking opens at"),
    "adm_closes_before": (
        "Booking ditutup sebelum slot (menit)",
        "Booking closes before the slot (minutes)",
    ),
    "adm_check_in_before": (
        "Check-in paling awal sebelum slot (menit)",
        "Check-in from before the slot (minutes)",
    ),
    "adm_check_in_after": (
        "Check-in paling lambat sesudah slot (menit)",
        "Check-in until after the slot (minutes)",
    ),
    "adm_late": ("Warga yang terlambat", "Citizens who come late"),
    "adm_late_walk_in": ("Antre sebagai pengunjung tanpa booking", "Queue as walk-ins"),
    "adm_late_refuse": ("Ditolak", "Refused"),
    "adm_save_booking": ("Simpan aturan booking", "Save the booking rules"),
    "adm_err_session": (
        '{field}: "{text}" bukan sesi seperti 08:00-10:00/20 (jam buka/kuota).',
        '{field}: "{text}" is not a session like 08:00-10:00/20 (hours/places).',
    ),
    "adm_err_late": (
        "Pilih apa yang didapat warga yang terlambat.",
        "Choose what late citizens get.",
    ),
}
