"""Every word the console and its pages ask for exists, in both languages.

A missing key would show the key itself ("adm_token_revoke") to a clerk or a citizen.
The keys are read from the code and the templates: every `t("...")` with a literal key,
and the keys made from an enumeration (`t(f"adm_printer_{printer}")` and the like).
"""

import re
from pathlib import Path

from broker.web.accounts import Role
from broker.web.audit import AuditEvent
from broker.web.i18n import WORDS
from contract.health import UNPRINTABLE, PrinterHealth

WEB = Path(__file__).resolve().parent.parent / "broker" / "web"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")


def used_keys() -> set[str]:
    found: set[str] = set()
    for source in [*WEB.rglob("*.py"), *WEB.rglob("*.html")]:
        found.update(LITERAL_KEY.findall(source.read_text(encoding="utf-8")))
    return found


def test_every_word_used_is_in_both_languages() -> None:
    # A key ending in "_" is the start of one made in a template ("adm_role_" ~ role).
    keys = {key for key in used_keys() if not key.endswith("_")}
    assert len(keys) > 100  # the scan sees the code's words at all
    keys |= {f"adm_role_{role.value}" for role in Role}
    keys |= {f"audit_{event.value}" for event in AuditEvent}
    keys |= {f"adm_printer_{state.value}" for state in UNPRINTABLE | {PrinterHealth.PAPER_NEAR_END}}
    missing = sorted(key for key in keys if key not in WORDS)
    assert missing == []
    for key in keys:
        indonesian, english = WORDS[key]
        assert indonesian.strip(), key
        assert english.strip(), key
