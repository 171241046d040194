"""Words of the booking pages (public, help desk, import): Bahasa Indonesia, English."""

DAY_NAMES = (
    ("Senin", "Monday"),
    ("Selasa", "Tuesday"),
    ("Rabu", "Wednesday"),
    ("Kamis", "Thursday"),
    ("Jumat", "Friday"),
    ("Sabtu", "Saturday"),
    ("Minggu", "Sunday"),
)
MONTH_NAMES = (
    ("Januari", "January"),
    ("Februari", "February"),
    ("Maret", "March"),
    ("April", "April"),
    ("Mei", "May"),
    ("Juni", "June"),
    ("Juli", "July"),
    ("Agustus", "August"),
    ("September", "September"),
    ("Oktober", "October"),
    ("November", "November"),
    ("Desember", "December"),
)

# key: (Bahasa Indonesia, English)
BOOKING_WORDS: dict[str, tuple[str, str]] = {
    "bk_title": ("Booking antrean", "Book a visit"),
    "bk_switch": ("English", "Bahasa Indonesia"),
    "bk_choose_service": ("Pilih layanan", "Choose a service"),
    "bk_no_services": (
        "Saat ini tidak ada layanan yang menerima booking.",
        "No service takes bookings at the moment.",
    ),
    "bk_choose_day": ("Pilih tanggal", "Choose a date"),
    "bk_no_days": (
        "Belum ada tanggal yang dapat dibooking. Coba lagi nanti.",
        "No date can be booked yet. Please try again later.",
    ),
    "bk_opens": ("dibuka {when}", "opens {when}"),
    "bk_choose_slot": ("Pilih jam kedatangan", "Choose an arrival time"),
    "bk_free": ("{n} tempat", "{n} places"),
    "bk_full": ("penuh", "full"),
    "bk_slot_taken": (
        "Jam itu sudah penuh atau sudah ditutup. Pilih jam lain.",
        "That time is full or closed. Please choose another.",
    ),
    "bk_all_full": (
        "Semua jam pada tanggal ini sudah penuh. Pilih tanggal lain.",
        "Every time on this date is fully booked. Please choose another date.",
    ),
    "bk_your_data": ("Data Anda", "Your details"),
    "bk_name": ("Nama lengkap", "Full name"),
    "bk_nik": ("NIK (16 angka, sesuai KTP/KK)", "NIK (16 digits, as on the ID card)"),
    "bk_phone": ("Nomor HP (boleh kosong)", "Mobile number (optional)"),
    "bk_next": ("Lanjut", "Next"),
    "bk_back": ("Kembali", "Back"),
    "bk_confirm_title": ("Periksa lalu konfirmasi", "Check, then confirm"),
    "bk_confirm": ("Konfirmasi booking", "Confirm the booking"),
    "bk_service": ("Layanan", "Service"),
    "bk_day": ("Tanggal", "Date"),
    "bk_slot": ("Jam kedatangan", "Arrival time"),
    "bk_err_name": (
        "Tulis nama lengkap (paling banyak 120 huruf).",
        "Write your full name (at most 120 characters).",
    ),
    "bk_err_nik": (
        "NIK harus 16 angka, seperti tertulis di KTP atau Kartu Keluarga.",
        "The NIK must be 16 digits, as written on the ID card or family card.",
    ),
    "bk_err_phone": (
        "Nomor HP 8 sampai 15 angka, misalnya 0812 3456 7890 (atau kosongkan).",
        "A mobile number of 8 to 15 digits, e.g. 0812 3456 7890 (or leave it empty).",
    ),
    "bk_done_title": ("Booking berhasil", "Booked"),
    "bk_code": ("Kode booking", "Booking code"),
    "bk_code_note": (
        "Simpan kode ini atau tangkapan layar halaman ini. Pindai kode QR di kiosk saat datang.",
        "Keep this code or a screenshot of this page. Scan the QR code at the kiosk when you come.",
    ),
    "bk_window": (
        "Check-in di kiosk dari pukul {start} sampai {end}.",
        "Check in at the kiosk from {start} until {end}.",
    ),
    "bk_nik_note": (
        "NIK Anda tidak disimpan dalam bentuk asli, hanya sebagai sidik acak untuk "
        "memeriksa satu booking per NIK.",
        "Your NIK is not kept as such, only as a keyed fingerprint to hold one booking per NIK.",
    ),
    "bk_another": ("Booking untuk orang lain", "Book for someone else"),
    "bk_manage": ("Batalkan atau pindah booking", "Cancel or move a booking"),
    "bk_manage_note": (
        "Masukkan kode booking dan NIK yang dipakai saat booking.",
        "Enter the booking code and the NIK used when booking.",
    ),
    "bk_open": ("Buka", "Open"),
    "bk_not_found": (
        "Kode booking dan NIK itu tidak cocok dengan booking mana pun.",
        "That booking code and NIK match no booking.",
    ),
    "bk_state": ("Status", "Status"),
    "bk_state_booked": ("Terdaftar", "Booked"),
    "bk_state_cancelled": ("Dibatalkan", "Cancelled"),
    "bk_state_checked_in": ("Sudah check-in", "Checked in"),
    "bk_state_no_show": ("Tidak hadir", "Did not come"),
    "bk_cancel": ("Batalkan booking", "Cancel the booking"),
    "bk_cancelled": ("Booking {code} dibatalkan.", "Booking {code} is cancelled."),
    "bk_move": ("Pindah jadwal (satu kali)", "Move it (once)"),
    "bk_moved": ("Booking {code} dipindah.", "Booking {code} is moved."),
    "bk_moved_once": (
        "Booking ini sudah pernah dipindah; hanya dapat dibatalkan.",
        "This booking has been moved once already; it can only be cancelled.",
    ),
    "bk_move_to": ("Pindah ke", "Move to"),
    "bk_too_many": (
        "Terlalu banyak percobaan dari alamat ini. Coba lagi dalam {seconds} detik.",
        "Too many attempts from this address. Try again in {seconds} seconds.",
    ),
    "bk_unavailable": (
        "Booking sedang tidak tersedia. Silakan hubungi petugas.",
        "Bookings are not available now. Please ask a member of staff.",
    ),
    "bk_from": ("mulai {when}", "from {when}"),
    # -- the help desk (broker/web/booking_desk_page.py) --
    "bk_desk_title": ("Booking di meja bantuan", "Help desk booking"),
    "bk_desk_note": (
        "Untuk warga tanpa HP: pilih layanan, tanggal dan jam, isi data warga, lalu "
        "cetak atau tunjukkan kodenya.",
        "For a citizen without a phone: choose service, date and time, fill in their "
        "details, then print or show the code.",
    ),
    "bk_print": ("Cetak", "Print"),
    "bk_bookings": ("Booking", "Bookings"),
    # -- the CSV import (broker/web/booking_csv_page.py) --
    "bk_import_title": ("Impor booking (CSV)", "Import bookings (CSV)"),
    "bk_import_note": (
        "Kolom: source, external_id, service, day, slot, name, nik, phone. Baris yang "
        "sudah pernah diimpor tidak dibooking dua kali. Jika ada baris yang salah, tidak "
        "ada yang dibooking dan semua baris salah ditampilkan.",
        "Columns: source, external_id, service, day, slot, name, nik, phone. A row already "
        "imported is not booked twice. If any row is wrong, nothing is booked and every "
        "wrong row is listed.",
    ),
    "bk_import_file": ("Berkas CSV", "CSV file"),
    "bk_import_send": ("Impor", "Import"),
    "bk_import_row": ("Baris", "Row"),
    "bk_import_result": ("Hasil", "Result"),
    "bk_import_booked": ("dibooking", "booked"),
    "bk_import_again": ("sudah diimpor", "already imported"),
    "bk_import_refused": ("ditolak", "refused"),
    "bk_import_nothing": (
        "Tidak ada yang dibooking: perbaiki baris yang ditolak lalu kirim lagi berkasnya.",
        "Nothing was booked: correct the refused rows, then send the file again.",
    ),
    "bk_import_done": (
        "{booked} dibooking, {again} sudah diimpor sebelumnya.",
        "{booked} booked, {again} imported before.",
    ),
    "bk_import_bad_file": (
        "Berkas itu bukan CSV UTF-8 dengan baris judul {columns}.",
        "That file is not a UTF-8 CSV with the header row {columns}.",
    ),
    "bk_import_date": (
        'tanggal harus seperti 2026-11-30 (bukan "{text}")',
        'the day must look like 2026-11-30 (not "{text}")',
    ),
    "bk_import_time": (
        'jam harus seperti 08:30 (bukan "{text}")',
        'the slot must look like 08:30 (not "{text}")',
    ),
    # -- reports (broker/web/booking_reports.py) --
    "report_by_booking": ("Booking per layanan dan hari", "Bookings by service and day"),
    "report_bookings": ("Booking", "Bookings"),
    "report_check_ins": ("Check-in", "Check-ins"),
    "report_booking_no_shows": ("Tidak hadir", "No-shows"),
    "report_cancelled": ("Dibatalkan", "Cancelled"),
    "report_slot_wait_mean": (
        "Rata-rata tunggu dari jam booking (menit)",
        "Mean wait from the slot (min)",
    ),
    "report_slot_wait_p90": (
        "9 dari 10 menunggu dari jam booking paling lama (menit)",
        "9 in 10 waited from the slot at most (min)",
    ),
}
