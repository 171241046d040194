"""Words of the satisfaction survey pages: the citizen's form and the IKM report.

Kept apart from the console's words for reading's sake; `broker.web.i18n.t` looks both up,
in the visitor's language, Bahasa Indonesia first.
"""

# key: (Bahasa Indonesia, English)
SURVEY_WORDS: dict[str, tuple[str, str]] = {
    # -- the citizen's form (broker/web/survey_page.py) --
    "survey_link": ("Isi survei kepuasan", "Fill in the satisfaction survey"),
    "survey_title": ("Survei Kepuasan Masyarakat", "Citizen satisfaction survey"),
    "survey_intro": (
        "Bagaimana pelayanan yang Anda terima? Pilih satu jawaban untuk setiap unsur, dari "
        "1 (tidak baik) sampai 4 (sangat baik). Survei ini tanpa nama.",
        "How was the service you received? Choose one answer for each element, from "
        "1 (poor) to 4 (very good). The survey is anonymous.",
    ),
    "survey_send": ("Kirim penilaian", "Send"),
    "survey_thanks": (
        "Terima kasih. Penilaian Anda membantu kami memperbaiki pelayanan.",
        "Thank you. Your answers help us improve the service.",
    ),
    "survey_already": (
        "Survei untuk nomor antrean ini sudah diisi. Satu nomor, satu survei. Terima kasih.",
        "This ticket's survey has been answered already: one survey per ticket. Thank you.",
    ),
    "survey_not_finished": (
        "Survei dapat diisi setelah layanan Anda selesai.",
        "The survey opens once you have been served.",
    ),
    "survey_incomplete": (
        "Pilih satu jawaban untuk setiap unsur (U1 sampai U9), lalu kirim lagi.",
        "Choose one answer for every element (U1 to U9), then send again.",
    ),
    "survey_back": ("Kembali ke nomor antrean", "Back to the ticket"),
    "choice_1": ("Tidak baik", "Poor"),
    "choice_2": ("Kurang baik", "Not good"),
    "choice_3": ("Baik", "Good"),
    "choice_4": ("Sangat baik", "Very good"),
    # The question of each element, after the regulation's sample questionnaire.
    "question_U1": (
        "Bagaimana pendapat Anda tentang kesesuaian persyaratan pelayanan dengan jenis "
        "pelayanannya?",
        "How well do the requirements fit the service?",
    ),
    "question_U2": (
        "Bagaimana pendapat Anda tentang kemudahan prosedur pelayanan di unit ini?",
        "How easy is this unit's procedure?",
    ),
    "question_U3": (
        "Bagaimana pendapat Anda tentang kecepatan waktu dalam memberikan pelayanan?",
        "How quick was the service?",
    ),
    "question_U4": (
        "Bagaimana pendapat Anda tentang kewajaran biaya/tarif dalam pelayanan?",
        "How fair is the cost or fee of the service?",
    ),
    "question_U5": (
        "Bagaimana pendapat Anda tentang kesesuaian produk pelayanan antara yang tercantum "
        "dalam standar pelayanan dengan hasil yang diberikan?",
        "How well does what you received match the service standard?",
    ),
    "question_U6": (
        "Bagaimana pendapat Anda tentang kompetensi/kemampuan petugas dalam pelayanan?",
        "How competent were the staff?",
    ),
    "question_U7": (
        "Bagaimana pendapat Anda tentang perilaku petugas dalam pelayanan terkait kesopanan "
        "dan keramahan?",
        "How polite and friendly were the staff?",
    ),
    "question_U8": (
        "Bagaimana pendapat Anda tentang penanganan pengaduan, saran, dan masukan pengguna "
        "layanan?",
        "How are complaints, suggestions and feedback handled?",
    ),
    "question_U9": (
        "Bagaimana pendapat Anda tentang kualitas sarana dan prasarana?",
        "How good are the facilities?",
    ),
    # -- the IKM report (broker/web/ikm_reports.py) --
    "ikm_link": ("Laporan survei kepuasan (IKM)", "Satisfaction survey report (IKM)"),
    "ikm_title": ("Indeks Kepuasan Masyarakat (IKM)", "Citizen satisfaction index (IKM)"),
    "ikm_overall": ("Seluruh unit layanan", "All units of service"),
    "ikm_respondents": ("Responden", "Respondents"),
    "ikm_index": ("Nilai IKM (1-4)", "IKM (1-4)"),
    "ikm_score": ("IKM (25-100)", "IKM (25-100)"),
    "ikm_grade": ("Mutu pelayanan", "Grade"),
    "ikm_performance": ("Kinerja unit pelayanan", "Performance"),
    "ikm_by_service": ("IKM per layanan", "IKM by service"),
    "ikm_by_agency": ("IKM per instansi", "IKM by agency"),
    "ikm_by_counter": ("IKM per loket", "IKM by counter"),
    "ikm_unit": ("Unit layanan", "Unit"),
    "ikm_name": ("Nama", "Name"),
    "ikm_chart": ("Nilai rata-rata per unsur (NRR)", "Mean rating per element (NRR)"),
    "ikm_elements": ("Unsur pelayanan", "Elements"),
    "ikm_no_data": (
        "Belum ada survei yang diisi untuk nomor antrean pada rentang ini.",
        "No survey was answered for the tickets of this range.",
    ),
    "ikm_note": (
        "IKM menurut PermenPAN-RB No. 14 Tahun 2017: rata-rata tiap unsur (NRR), masing-masing "
        "berbobot tepat 1/9, dijumlahkan (1-4) lalu dikali 25 (25-100). Mutu: A 88,31-100, "
        "B 76,61-88,30, C 65,00-76,60, D 25,00-64,99. Dari formulir sembilan unsur di balik "
        "kode QR tiket, satu formulir per tiket, menurut tanggal tiket.",
        "IKM as PermenPAN-RB 14/2017 defines it: each element's mean (NRR), each weighted "
        "exactly 1/9, summed (1-4) and multiplied by 25 (25-100). Grades: A 88.31-100, "
        "B 76.61-88.30, C 65.00-76.60, D 25.00-64.99. From the nine-element form behind the "
        "ticket's QR code, one per ticket, by the ticket's date.",
    ),
    "quick_title": (
        "Tombol kepuasan di loket: skor cepat (bukan IKM)",
        "Satisfaction buttons at the counters: quick score (not the IKM)",
    ),
    "quick_by_service": ("Skor cepat per layanan", "Quick score by service"),
    "quick_by_agency": ("Skor cepat per instansi", "Quick score by agency"),
    "quick_by_counter": ("Skor cepat per loket", "Quick score by counter"),
    "quick_presses": ("Penilaian", "Presses"),
    "quick_mean": ("Rata-rata (1-4)", "Mean (1-4)"),
    "quick_satisfied": ("Puas (%)", "Satisfied (%)"),
    "quick_4": ("Sangat puas", "Very satisfied"),
    "quick_3": ("Puas", "Satisfied"),
    "quick_2": ("Kurang puas", "Dissatisfied"),
    "quick_1": ("Tidak puas", "Very dissatisfied"),
    "quick_no_data": (
        "Belum ada tombol kepuasan yang ditekan untuk tiket pada rentang ini.",
        "No satisfaction button was pressed for the tickets of this range.",
    ),
    "quick_no_ticket": (
        "Tekanan tanpa tiket selesai dalam jendela waktu (disimpan, tidak dihitung)",
        "Presses with no ticket finished within the window (kept, not counted)",
    ),
    "quick_already_rated": (
        "Tekanan kedua untuk tiket yang sudah dinilai (disimpan, tidak dihitung)",
        "Second presses for a ticket already rated (kept, not counted)",
    ),
    "quick_note": (
        "Satu tekanan per tiket: tekanan dikaitkan dengan tiket yang terakhir diselesaikan "
        "loketnya. Puas (%) = sangat puas dan puas dibagi semua penilaian. Skor ini terpisah "
        "dari IKM dan tidak menggantikannya.",
        "One press per ticket: a press is tied to the ticket its counters finished last. "
        "Satisfied (%) = very satisfied and satisfied over all presses. This score is apart "
        "from the IKM and does not replace it.",
    ),
}
