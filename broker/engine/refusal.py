"""`Refused`: the rules refuse an operation, with a stable reason code."""

from contract.errors import AntreError
from contract.reasons import Reason, reason_text


class Refused(AntreError):
    """The rules refuse the operation; nothing was changed."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        text = reason_text(reason, "en")
        super().__init__(f"{text}: {detail}" if detail else text)
