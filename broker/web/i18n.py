"""Words of the web console: Bahasa Indonesia first, English on request.

A small table rather than a gettext catalogue: a few dozen labels, kept beside the
code that uses them, and a template can show both languages where it helps.
"""

from flask import session

from broker.web.booking_console_words import BOOKING_CONSOLE_WORDS
from broker.web.booking_words import BOOKING_WORDS
from broker.web.survey_words import SURVEY_WORDS

LANGUAGES = ("id", "en")

# key: (Bahasa Indonesia, English)
WORDS: dict[str, tuple[str, str]] = {
    "app": ("Antre", "Antre"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "bad_login": ("Nama pengguna atau kata sandi salah", "Wrong username or password"),
    "too_many": (
        "Terlalu banyak percobaan. Coba lagi beberapa menit lagi.",
        "Too many attempts. Try again in a few minutes.",
    ),
    "forbidden": ("Anda tidak berhak membuka halaman ini", "You may not open this page"),
    "bad_csrf": (
        "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.",
        "The form has expired. Reload the page and try again.",
    ),
    "counters": ("Loket", "Counters"),
    "counter": ("Loket", "Counter"),
    "choose_counter": ("Pilih loket", "Choose a counter"),
    "serving": ("Sedang dilayani", "Now serving"),
    "nobody": ("Belum ada", "Nobody"),
    "waiting": ("Menunggu", "Waiting"),
    "call_next": ("Panggil berikutnya", "Call next"),
    "recall": ("Panggil ulang", "Recall"),
    "skip": ("Lewati (tidak hadir)", "Skip (no-show)"),
    "finish": ("Selesai", "Finish"),
    "transfer": ("Alihkan", "Transfer"),
    "pause": ("Istirahat", "Pause"),
    "resume": ("Buka kembali", "Resume"),
    "paused": ("Loket sedang istirahat", "Counter paused"),
    "bring_back": ("Panggil kembali nomor yang dilewati", "Bring back a skipped ticket"),
    "admin": ("Pengaturan", "Administration"),
    "reports": ("Laporan", "Reports"),
    "devices": ("Perangkat", "Devices"),
    "staff": ("Petugas", "Staff"),
    "notice": ("Teks berjalan", "Notice line"),
    "save": ("Simpan", "Save"),
    "saved": ("Tersimpan", "Saved"),
    "language": ("English", "Bahasa Indonesia"),
    "ticket": ("Nomor antrean", "Ticket"),
    "ahead": ("Orang di depan Anda", "People ahead of you"),
    "estimate": ("Perkiraan waktu tunggu", "Estimated wait"),
    "minutes": ("menit", "minutes"),
    "unknown": ("belum tersedia", "not available yet"),
    "go_to": ("Silakan menuju", "Please go to"),
    "soon": ("segera", "soon"),
    "ticket_alerts": (
        "Bunyikan dan getarkan saat giliran saya dekat",
        "Beep and vibrate when my turn is near",
    ),
    "ticket_alerts_on": (
        "Bunyi dan getar aktif selama halaman ini terbuka",
        "Sound and vibration on while this page is open",
    ),
    "done": ("Layanan selesai. Terima kasih.", "Served. Thank you."),
    "not_found": ("Tidak ditemukan", "Not found"),
    "state_skipped": (
        "Anda tidak hadir saat dipanggil. Hubungi petugas loket.",
        "You were not there when called. Please ask at the counter.",
    ),
    "state_cancelled": ("Nomor ini dibatalkan", "This ticket was cancelled"),
    "state_expired": ("Nomor ini sudah tidak berlaku", "This ticket is no longer valid"),
    "state_no_show": ("Nomor ini sudah tidak berlaku", "This ticket is no longer valid"),
    "state_reserved": ("Nomor ini belum diterbitkan", "This ticket has not been issued"),
    "state_unused": ("Nomor ini tidak dipakai", "This number was not used"),
    # -- counter console (broker/web/counter.py) --
    "counter_msg_called": ("Nomor {number} dipanggil", "{number} called"),
    "counter_msg_recalled": ("Nomor {number} dipanggil ulang", "{number} called again"),
    "counter_msg_skipped": ("Nomor {number} dilewati (tidak hadir)", "{number} skipped (no-show)"),
    "counter_msg_finished": ("Nomor {number} selesai dilayani", "{number} finished"),
    "counter_msg_transferred": (
        "Nomor {number} dialihkan ke {service}",
        "{number} transferred to {service}",
    ),
    "counter_msg_brought_back": (
        "Nomor {number} kembali ke antrean, paling depan",
        "{number} is back at the head of the queue",
    ),
    "counter_msg_paused": ("Loket istirahat", "Counter paused"),
    "counter_msg_resumed": ("Loket dibuka kembali", "Counter open again"),
    "counter_need_service": ("pilih layanan tujuan", "choose the target service"),
    "counter_need_ticket": ("nomor antrean belum diisi", "no ticket given"),
    "counter_open": ("Buka", "Open"),
    "counter_services": ("Layanan", "Services"),
    "counter_status": ("Keadaan", "State"),
    "counter_none_assigned": (
        "Anda belum ditugaskan di loket mana pun. Hubungi pengelola.",
        "You have no counter yet. Please ask the manager.",
    ),
    "counter_priority": ("Prioritas", "Priority"),
    "counter_recalls": ("Dipanggil ulang", "Recalled"),
    "counter_called_at": ("Dipanggil pukul", "Called at"),
    "counter_times": ("kali", "times"),
    "counter_transfer_to": ("Alihkan ke layanan", "Transfer to service"),
    "counter_choose_service": ("Pilih layanan", "Choose a service"),
    "counter_skipped": ("Nomor yang dilewati hari ini", "Skipped today"),
    "counter_no_skipped": ("Tidak ada nomor yang dilewati", "No skipped tickets"),
    "counter_bring_back": ("Kembalikan ke antrean", "Back to the queue"),
    "counter_until": ("bisa kembali sampai", "can return until"),
    "counter_waiting_counts": ("Antrean menunggu", "Waiting"),
    # The numbers kiosks hold for an outage: why the first ticket called is A004.
    "counter_reserved": (
        "Nomor cadangan anjungan, belum dipakai",
        "Kiosk reserve numbers, not used yet",
    ),
    "counter_people": ("orang", "people"),
    "counter_shortcuts": ("Pintasan papan ketik", "Keyboard shortcuts"),
    "counter_or": ("atau", "or"),
    "counter_space": ("Spasi", "Space"),
    "counter_offline": (
        "Koneksi terputus, mencoba menyambung lagi...",
        "Connection lost, reconnecting...",
    ),
    "counter_working": ("Sedang diproses...", "Working..."),
    "counter_failed": (
        "Permintaan gagal. Periksa jaringan lalu coba lagi.",
        "The request failed. Check the network and try again.",
    ),
    # -- reports (broker/web/reports.py) --
    "report_title": ("Laporan antrean", "Queue report"),
    "report_from": ("Dari tanggal", "From"),
    "report_to": ("Sampai tanggal", "To"),
    "report_show": ("Tampilkan", "Show"),
    "report_bad_date": (
        "Tanggal tidak valid. Gunakan format TTTT-BB-HH, misalnya 2026-11-30.",
        "Invalid date. Use the format YYYY-MM-DD, e.g. 2026-11-30.",
    ),
    "report_reversed": (
        "Tanggal awal tidak boleh sesudah tanggal akhir.",
        "The start date must not be after the end date.",
    ),
    "report_too_long": (
        "Rentang laporan paling lama 366 hari.",
        "A report covers at most 366 days.",
    ),
    "report_summary": ("Ringkasan", "Summary"),
    "report_issued": ("Tiket diterbitkan", "Issued"),
    "report_called": ("Dipanggil", "Called"),
    "report_served": ("Dilayani", "Served"),
    "report_no_shows": ("Tidak hadir", "No-shows"),
    "report_wait_mean": ("Rata-rata tunggu (menit)", "Mean wait (min)"),
    "report_wait_p90": (
        "9 dari 10 warga menunggu paling lama (menit)",
        "9 in 10 waited at most (min)",
    ),
    "report_service_mean": ("Rata-rata layanan (menit)", "Mean service (min)"),
    "report_service_p90": (
        "9 dari 10 warga dilayani paling lama (menit)",
        "9 in 10 were served in at most (min)",
    ),
    "report_by_service": ("Per layanan", "By service"),
    "report_by_counter": ("Per loket", "By counter"),
    "report_by_clerk": ("Per petugas", "By clerk"),
    "report_by_day": ("Per hari", "By day"),
    "report_by_hour": ("Kedatangan per jam", "Arrivals per hour"),
    "report_wait_chart": ("Rata-rata waktu tunggu per layanan", "Mean waiting time per service"),
    "report_service": ("Layanan", "Service"),
    "report_name": ("Nama", "Name"),
    "report_clerk": ("Petugas", "Clerk"),
    "report_day": ("Tanggal", "Date"),
    "report_hour": ("Jam", "Hour"),
    "report_arrivals": ("Kedatangan", "Arrivals"),
    "report_csv": ("Unduh CSV", "Download CSV"),
    "report_no_data": ("Tidak ada tiket pada rentang ini.", "No tickets in this range."),
    "report_note": (
        "Tiket yang dibatalkan tidak dihitung. Loket dan petugas: yang terakhir memanggil "
        'tiket; "—" berarti belum pernah dipanggil.',
        "Cancelled tickets are not counted. Counter and clerk: whoever called the ticket "
        'last; "—" means never called.',
    ),
    # Says what the "9 in 10" columns mean (the 90th percentile, nearest rank).
    "report_wait_note": (
        '"9 dari 10 warga menunggu paling lama 20 menit" berarti: dari setiap 10 warga yang '
        "dipanggil, 9 menunggu 20 menit atau kurang, hanya 1 yang lebih lama. Rata-rata bisa "
        "tampak baik walau sebagian warga menunggu sangat lama; angka ini tidak. Begitu pula "
        "untuk lama dilayani.",
        '"9 in 10 waited at most 20 minutes" means: of every 10 citizens called, 9 waited '
        "20 minutes or less and only 1 longer. A mean can look fine while some citizens "
        "wait very long; this number cannot. The same goes for the service time.",
    ),
    "report_username": ("Nama pengguna", "Username"),
    # -- administration (broker/web/admin/) --
    "adm_overview": ("Ringkasan", "Overview"),
    "adm_pages": ("Halaman", "Pages"),
    "adm_services": ("Layanan", "Services"),
    "adm_alerts": ("Perlu tindakan segera", "Needs attention now"),
    "adm_all_devices": ("Lihat semua perangkat", "See every device"),
    "adm_api_doc": ("Dokumentasi API (OpenAPI)", "API documentation (OpenAPI)"),
    "adm_notice_help": (
        "Tampil berjalan di semua layar. Paling banyak {limit} karakter, satu baris. "
        "Kosongkan untuk menghapus.",
        "Scrolls on every display. At most {limit} characters, one line. Leave empty to remove it.",
    ),
    "adm_notice_saved": ("Teks berjalan disimpan dan dikirim ke layar", "Notice sent to displays"),
    "adm_notice_cleared": ("Teks berjalan dihapus", "Notice removed"),
    "adm_notice_too_long": (
        "Teks berjalan terlalu panjang: {length} karakter, paling banyak {limit}.",
        "The notice is too long: {length} characters, at most {limit}.",
    ),
    "adm_notice_control": (
        "Teks berjalan harus satu baris tanpa karakter kontrol.",
        "The notice must be one line without control characters.",
    ),
    "adm_notice_failed": (
        "Teks berjalan gagal dikirim ke layar. Coba lagi.",
        "The notice could not be sent to the displays. Try again.",
    ),
    "adm_state_online": ("Terhubung", "Online"),
    "adm_state_offline": ("Terputus", "Offline"),
    "adm_state_lost": ("Hilang", "Lost"),
    "adm_state_never": ("Belum pernah terhubung", "Never connected"),
    "adm_problem_lost": (
        "hilang: koneksi terputus tanpa pamit",
        "lost: the connection dropped without a goodbye",
    ),
    "adm_problem_offline": ("terputus", "offline"),
    "adm_printer_ok": ("Baik", "OK"),
    "adm_printer_paper_near_end": ("kertas hampir habis", "paper nearly out"),
    "adm_printer_paper_out": ("kertas habis", "out of paper"),
    "adm_printer_cover_open": ("tutup printer terbuka", "printer cover open"),
    "adm_printer_offline": ("printer tidak terhubung", "printer not connected"),
    "adm_printer_unknown": ("tidak diketahui", "unknown"),
    "adm_scanner_missing": (
        "pemindai QR tidak ditemukan (check-in booking di meja informasi)",
        "QR scanner not found (booking check-in at the help desk)",
    ),
    "adm_scanner_failed": (
        "pemindai QR gagal (check-in booking di meja informasi)",
        "QR scanner failed (booking check-in at the help desk)",
    ),
    "adm_kind_kiosk": ("Anjungan (kiosk)", "Kiosk"),
    "adm_kind_display": ("Layar", "Display"),
    "adm_kind_survey": ("Unit survei", "Survey unit"),
    "adm_survey_at": ("loket", "counters"),
    "adm_kind_other": ("Lainnya", "Other"),
    "adm_device": ("Perangkat", "Device"),
    "adm_kind": ("Jenis", "Kind"),
    "adm_state": ("Keadaan", "State"),
    "adm_printer": ("Printer", "Printer"),
    "adm_outbox": ("Antrean kirim", "Outbox"),
    "adm_offline_pending": ("Tiket offline belum terkirim", "Offline tickets pending"),
    "adm_version": ("Versi", "Version"),
    "adm_last_seen": ("Terakhir terlihat", "Last seen"),
    "adm_self_test": ("Uji mandiri", "Self-test"),
    "adm_self_test_passed": ("lulus", "passed"),
    "adm_self_test_failed": ("gagal", "failed"),
    "adm_read_only": (
        "Hanya-baca: diubah lewat berkas konfigurasi situs; pengubahan langsung di sini "
        "sedang direncanakan.",
        "Read-only: changed in the site file; editing here is planned.",
    ),
    "adm_prefix": ("Kode", "Prefix"),
    "adm_service": ("Layanan", "Service"),
    "adm_agency": ("Instansi", "Agency"),
    "adm_quota": ("Kuota harian", "Daily quota"),
    "adm_no_quota": ("tanpa kuota", "no quota"),
    "adm_hours": ("Jam buka", "Opening hours"),
    "adm_cutoff": ("Tutup pengambilan sebelum tutup", "Ticketing stops before closing"),
    "adm_issued": ("Diterbitkan hari ini", "Issued today"),
    "adm_closed": ("tutup", "closed"),
    "adm_open": ("Buka", "Open"),
    "adm_day_mon": ("Sen", "Mon"),
    "adm_day_tue": ("Sel", "Tue"),
    "adm_day_wed": ("Rab", "Wed"),
    "adm_day_thu": ("Kam", "Thu"),
    "adm_day_fri": ("Jum", "Fri"),
    "adm_day_sat": ("Sab", "Sat"),
    "adm_day_sun": ("Min", "Sun"),
    "adm_name": ("Nama", "Name"),
    "adm_role": ("Peran", "Role"),
    "adm_role_admin": ("Administrator", "Administrator"),
    "adm_role_manager": ("Manajer", "Manager"),
    "adm_role_clerk": ("Petugas loket", "Counter clerk"),
    "adm_active": ("Aktif", "Active"),
    "adm_disabled": ("Nonaktif", "Disabled"),
    "adm_edit": ("Ubah", "Edit"),
    "adm_new_user": ("Tambah petugas", "Add a staff member"),
    "adm_create": ("Tambah", "Add"),
    "adm_counters_help": (
        "Nomor loket dipisah koma. Loket yang ada:",
        "Comma-separated. Counters:",
    ),
    "adm_new_password": ("Kata sandi baru", "New password"),
    "adm_password_again": ("Ulangi kata sandi", "Password again"),
    "adm_reset_password": ("Atur ulang kata sandi", "Reset the password"),
    "adm_token": ("Token API", "API token"),
    "adm_token_label": ("Keterangan (untuk apa)", "Label (what it is for)"),
    "adm_token_create": ("Buat token", "Create a token"),
    "adm_tokens": ("Token API", "API tokens"),
    "adm_token_created": ("Dibuat", "Created"),
    "adm_token_used": ("Terakhir dipakai", "Last used"),
    "adm_token_is_revoked": ("Dicabut", "Revoked"),
    "adm_token_revoke": ("Cabut", "Revoke"),
    "adm_token_revoked": (
        "Token #{number} milik {username} dicabut: tidak berlaku lagi",
        "Token #{number} of {username} revoked: it no longer works",
    ),
    "adm_no_tokens": ("Belum ada token API.", "No API tokens yet."),
    "adm_by": ("oleh", "by"),
    "adm_audit": ("Log masuk staf", "Staff log-ins"),
    "adm_audit_help": (
        "Siapa masuk, gagal masuk, keluar; kata sandi dan token yang diubah. 200 terbaru, "
        "disimpan 90 hari.",
        "Who logged in, failed or logged out; passwords and tokens changed. The newest 200, "
        "kept 90 days.",
    ),
    "adm_audit_when": ("Waktu", "When"),
    "adm_audit_what": ("Kejadian", "What"),
    "adm_audit_address": ("Alamat", "Address"),
    "adm_audit_detail": ("Keterangan", "Detail"),
    "adm_audit_empty": ("Belum ada catatan.", "Nothing recorded yet."),
    "audit_login": ("Masuk", "Logged in"),
    "audit_login_failed": ("Gagal masuk", "Failed login"),
    "audit_login_blocked": (
        "Masuk ditahan (terlalu banyak percobaan)",
        "Login held back (too many tries)",
    ),
    "audit_logout": ("Keluar (semua sesi berakhir)", "Logged out (every session ended)"),
    "audit_password_reset": (
        "Kata sandi diatur ulang (semua sesi berakhir)",
        "Password reset (every session ended)",
    ),
    "audit_token_created": ("Token API dibuat", "API token created"),
    "audit_token_revoked": ("Token API dicabut", "API token revoked"),
    "adm_token_new": ("Token API baru", "New API token"),
    "adm_token_once": (
        "Salin sekarang: token ini hanya ditampilkan sekali dan tidak disimpan.",
        "Copy it now: it is shown this once and not stored.",
    ),
    "adm_user_created": ("Petugas {username} ditambahkan", "{username} added"),
    "adm_user_saved": ("Perubahan {username} disimpan", "{username} saved"),
    "adm_password_set": ("Kata sandi {username} diganti", "{username}'s password changed"),
    "adm_err_username_missing": ("Nama pengguna wajib diisi.", "A username is required."),
    "adm_err_username": (
        "Nama pengguna hanya huruf kecil, angka, titik dan tanda hubung, paling banyak "
        "{limit} karakter.",
        "A username takes lower-case letters, digits, '.' and '-', at most {limit}.",
    ),
    "adm_err_username_taken": (
        "Nama pengguna {username} sudah dipakai.",
        "The username {username} is taken.",
    ),
    "adm_err_name": (
        "Nama paling banyak {limit} karakter, satu baris.",
        "A name has at most {limit} characters, on one line.",
    ),
    "adm_err_role": ("Pilih peran yang ada.", "Choose one of the roles."),
    "adm_err_counters_format": (
        'Loket ditulis sebagai nomor dipisah koma, misalnya 1, 2 (bukan "{part}").',
        'Counters are numbers separated by commas, e.g. 1, 2 (not "{part}").',
    ),
    "adm_err_counter_unknown": (
        "Loket {number} tidak ada di situs ini.",
        "There is no counter {number} at this site.",
    ),
    "adm_err_clerk_counters": (
        "Petugas loket perlu paling sedikit satu loket.",
        "A counter clerk needs at least one counter.",
    ),
    "adm_err_password_short": (
        "Kata sandi paling sedikit {limit} karakter.",
        "A password needs at least {limit} characters.",
    ),
    "adm_err_password_mismatch": (
        "Kedua kata sandi tidak sama.",
        "The two passwords differ.",
    ),
    "adm_err_self": (
        "Anda tidak dapat menonaktifkan akun sendiri atau melepas peran administrator Anda.",
        "You cannot disable your own account or give up your own administrator role.",
    ),
    "adm_err_token_disabled": (
        "Akun nonaktif tidak dapat diberi token API.",
        "A disabled account cannot get an API token.",
    ),
    "adm_err_label": (
        "Keterangan token paling banyak {limit} karakter, satu baris.",
        "A token label has at most {limit} characters, on one line.",
    ),
    # -- live edits of services and counters (broker/web/admin/: services, counters) --
    "adm_site_edit_note": (
        "Nama, kuota, jam buka, batas pengambilan nomor, perkiraan lama layanan dan layanan "
        "tiap loket dapat diubah di sini. Perubahan diperiksa seperti berkas konfigurasi "
        "situs, disimpan di basis data server pusat, dan langsung berlaku.",
        "Names, quotas, opening hours, the ticketing cut-off, expected service times and each "
        "counter's services can be changed here. A change is checked like the site file, "
        "kept in the central's database, and in effect at once.",
    ),
    "adm_site_file_only": (
        "Hanya-baca di sini: kode layanan, instansi, serta menambah atau menghapus layanan "
        "dan loket. Itu diubah di berkas konfigurasi situs, lalu server pusat dimulai ulang.",
        "Read-only here: prefixes, agencies, and adding or removing services and counters. "
        "Those are changed in the site file, then the central is restarted.",
    ),
    "adm_site_kiosk_note": (
        "Layar dan jawaban server pusat langsung memakai nama baru. Nama dan jam buka yang "
        "diubah sampai ke lampu tombol kiosk dan tiket cetak setelah kiosk dimulai ulang.",
        "Displays and the central's answers use new names at once. Changed names and hours "
        "reach the kiosks' button lights and printed tickets after the kiosks restart.",
    ),
    "adm_changed": ("Diubah dari berkas", "Changed from the file"),
    "adm_file_value": ("di berkas", "in the file"),
    "adm_reset_file": ("Kembalikan ke berkas", "Reset to the file"),
    "adm_site_saved": ("{what} disimpan dan langsung berlaku", "{what} saved, in effect now"),
    "adm_site_reset": (
        "{what} dikembalikan seperti di berkas situs",
        "{what} reset to the site file",
    ),
    "adm_edit_service": ("Ubah layanan", "Edit service"),
    "adm_edit_counter": ("Ubah loket", "Edit counter"),
    "adm_name_en": ("Nama (bahasa Inggris)", "Name (English)"),
    "adm_quota_help": ("Kosongkan untuk tanpa kuota.", "Leave empty for no quota."),
    "adm_cutoff_minutes": (
        "Berhenti memberi nomor sebelum tutup (menit)",
        "Stop issuing tickets before closing (minutes)",
    ),
    "adm_expected": ("Perkiraan lama layanan (menit)", "Expected service time (minutes)"),
    "adm_schedule": ("Jadwal", "Schedule"),
    "adm_schedule_hours": ("Jam buka jadwal", "Opening hours of schedule"),
    "adm_schedule_help": (
        "Tiap hari: jam buka dipisah koma, misalnya 08:00-12:00, 13:00-15:00. Kosong berarti "
        "tutup. Jadwal ini dipakai oleh layanan:",
        "Each day: periods separated by commas, e.g. 08:00-12:00, 13:00-15:00. Empty means "
        "closed. This schedule is used by the services:",
    ),
    "adm_save_hours": ("Simpan jam buka", "Save the hours"),
    "adm_serves": ("Melayani", "Serves"),
    "adm_err_site": (
        "Perubahan ditolak, tidak ada yang diubah: {problems}",
        "Change refused, nothing was changed: {problems}",
    ),
    "adm_err_site_save": (
        "Perubahan gagal disimpan, tidak ada yang diubah. Coba lagi.",
        "The change could not be saved; nothing was changed. Try again.",
    ),
    "adm_err_one_line": (
        "{field}: paling banyak {limit} karakter, satu baris.",
        "{field}: at most {limit} characters, on one line.",
    ),
    "adm_err_whole_number": (
        '{field}: tulis bilangan bulat, misalnya 30 (bukan "{text}").',
        '{field}: write a whole number, e.g. 30 (not "{text}").',
    ),
    "adm_err_number": (
        '{field}: tulis angka, misalnya 7,5 (bukan "{text}").',
        '{field}: write a number, e.g. 7.5 (not "{text}").',
    ),
    "adm_err_period": (
        '{field}: "{text}" bukan jam buka seperti 08:00-12:00 (jam dan menit dua angka, '
        "selesai sesudah mulai).",
        '{field}: "{text}" is not a period like 08:00-12:00 (two-digit hours and minutes, '
        "ending after it starts).",
    ),
    "adm_pb_counter_empty": (
        "loket harus melayani paling sedikit satu layanan",
        "a counter must serve at least one service",
    ),
    "adm_pb_no_counter": (
        "tidak ada loket yang melayani layanan {prefix}",
        "no counter serves service {prefix}",
    ),
    "adm_pb_overlap": (
        "jam buka harus berurutan dan tidak tumpang tindih ({first} lalu {second})",
        "periods must be in order and must not overlap ({first} then {second})",
    ),
    "adm_pb_unknown_service": ("layanan {value} tidak ada", "unknown service {value}"),
    "adm_pb_unknown_schedule": ("jadwal {value} tidak ada", "unknown schedule {value}"),
    "adm_pb_length_ge": ("paling sedikit {n} karakter", "at least {n} characters"),
    "adm_pb_length_le": ("paling banyak {n} karakter", "at most {n} characters"),
    "adm_pb_length_gt": ("lebih dari {n} karakter", "more than {n} characters"),
    "adm_pb_length_lt": ("kurang dari {n} karakter", "fewer than {n} characters"),
    "adm_pb_number_ge": ("paling kecil {n}", "at least {n}"),
    "adm_pb_number_le": ("paling besar {n}", "at most {n}"),
    "adm_pb_number_gt": ("harus lebih dari {n}", "must be more than {n}"),
    "adm_pb_number_lt": ("harus kurang dari {n}", "must be less than {n}"),
}


# The survey's and the bookings' words live in their own modules; one lookup serves all.
for _more in (SURVEY_WORDS, BOOKING_CONSOLE_WORDS, BOOKING_WORDS):
    _OVERLAP = WORDS.keys() & _more.keys()
    if _OVERLAP:
        raise RuntimeError(f"words defined twice: {sorted(_OVERLAP)}")
    WORDS.update(_more)


def language() -> str:
    chosen = session.get("lang", "id")
    return chosen if chosen in LANGUAGES else "id"


def t(key: str, lang: str | None = None) -> str:
    """The word for `key` in `lang`, by default the visitor's language (the key itself if
    unknown). A live feed, which runs outside any request, names its language."""
    words = WORDS.get(key)
    if words is None:
        return key
    return words[1] if (lang or language()) == "en" else words[0]
