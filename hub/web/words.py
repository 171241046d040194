"""The hub pages' words: Bahasa Indonesia first, English second."""

from __future__ import annotations

from flask import session

LANGUAGES = ("id", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("Antre Hub — Wilayah", "Antre Hub — Region"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "bad_login": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
    "bad_csrf": ("Formulir kedaluwarsa; muat ulang halaman.", "The form expired; reload the page."),
    "too_many": (
        "Terlalu banyak percobaan masuk; coba lagi beberapa menit lagi.",
        "Too many login attempts; try again in a few minutes.",
    ),
    "forbidden": ("Anda tidak berhak membuka halaman ini.", "You may not open this page."),
    "not_found": ("Halaman tidak ditemukan.", "Page not found."),
    "language": ("English", "Bahasa Indonesia"),
    "region": ("Wilayah sekilas", "Region at a glance"),
    "compare": ("Bandingkan MPP", "Compare sites"),
    "ikm": ("IKM wilayah", "Region's IKM"),
    "site": ("MPP", "Site"),
    "waiting_now": ("Menunggu sekarang", "Waiting now"),
    "served_today": ("Dilayani hari ini", "Served today"),
    "served": ("Dilayani", "Served"),
    "issued": ("Tiket diambil", "Tickets issued"),
    "no_shows": ("Tidak hadir", "No-shows"),
    "waits": ("Lama menunggu", "Waiting time"),
    "counters_open": ("Loket buka", "Counters open"),
    "devices_lost": ("Perangkat hilang", "Devices lost"),
    "no_news_since": ("tidak ada kabar sejak {when}", "no news since {when}"),
    "never_heard": ("belum pernah mengirim kabar", "has never sent news"),
    "p90_words": (
        "9 dari 10 warga menunggu paling lama {minutes} menit",
        "9 in 10 citizens waited at most {minutes} minutes",
    ),
    "median_words": (
        "separuh warga menunggu paling lama {minutes} menit",
        "half the citizens waited at most {minutes} minutes",
    ),
    "nobody_called": ("belum ada yang dipanggil", "nobody called yet"),
    "service": ("Layanan", "Service"),
    "agency": ("Instansi", "Agency"),
    "today": ("Hari ini", "Today"),
    "last_30_days": ("30 hari terakhir", "Last 30 days"),
    "from": ("Dari", "From"),
    "to": ("Sampai", "To"),
    "show": ("Tampilkan", "Show"),
    "respondents": ("Responden", "Respondents"),
    "ikm_index": ("IKM", "IKM"),
    "converted": ("Nilai konversi", "Converted value"),
    "grade": ("Mutu", "Grade"),
    "performance": ("Kinerja", "Performance"),
    "per": ("Per", "Per"),
    "download_csv": ("Unduh CSV", "Download CSV"),
    "no_data": ("Belum ada data untuk periode ini.", "No data for this period yet."),
    "bad_period": ("Periode tidak sah.", "Not a valid period."),
}


def language() -> str:
    chosen = session.get("lang", "id")
    return chosen if chosen in LANGUAGES else "id"


def t(key: str, **values: object) -> str:
    """The visitor's words for `key` (the key itself if unknown), filled with `values`."""
    words = WORDS.get(key)
    if words is None:
        return key
    text = words[1] if language() == "en" else words[0]
    return text.format(**values) if values else text
