"""Words of the web console: Bahasa Indonesia first, English on request.

A small table rather than a gettext catalogue: a few dozen labels, kept beside the
code that uses them, and a template can show both languages where it helps.
"""

from flask import session

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
    "done": ("Layanan selesai. Terima kasih.", "Served. Thank you."),
    "not_found": ("Tidak ditemukan", "Not found"),
}


def language() -> str:
    chosen = session.get("lang", "id")
    return chosen if chosen in LANGUAGES else "id"


def t(key: str) -> str:
    """The word for `key` in the visitor's language (the key itself if unknown)."""
    words = WORDS.get(key)
    if words is None:
        return key
    return words[1] if language() == "en" else words[0]
