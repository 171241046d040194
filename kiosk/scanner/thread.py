"""The scanner's own thread: reads codes, hands them to the kiosk, and survives unplugging."""

import logging
import threading
from collections.abc import Callable

from contract.health import ScannerHealth
from contract.site import Scanner
from kiosk.scanner.readers import Reader, ScannerError, open_reader

log = logging.getLogger(__name__)

# How long one read waits: also how soon `stop` is noticed.
READ_TIMEOUT = 0.2


class ScannerThread:
    """Runs one scanner: codes go to `on_code`, each change of health to `on_health`."""

    # A scanner missing at start or failing later is reported and opened again every
    # `retry_seconds`; both callbacks run on this thread, so they only queue work.

    def __init__(
        self,
        config: Scanner,
        on_code: Callable[[str], None],
        on_health: Callable[[ScannerHealth, str], None],
        *,
        opener: Callable[[Scanner], Reader] = open_reader,
    ) -> None:
        self.config = config
        self._on_code = on_code
        self._on_health = on_health
        self._opener = opener
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)
        self.health: ScannerHealth | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                reader = self._opener(self.config)
            except ScannerError as e:
                self._report(ScannerHealth.MISSING if e.missing else ScannerHealth.FAILED, str(e))
                self._stopping.wait(self.config.retry_seconds)
                continue
            self._report(ScannerHealth.OK, self.config.device)
            try:
                self._read_from(reader)
            finally:
                reader.close()

    def _read_from(self, reader: Reader) -> None:
        while not self._stopping.is_set():
            try:
                codes = reader.read(READ_TIMEOUT)
            except ScannerError as e:
                self._report(ScannerHealth.FAILED, str(e))
                self._stopping.wait(self.config.retry_seconds)
                return
            for code in codes:
                try:
                    self._on_code(code)
                except Exception:
                    # The scanner thread outlives any one code.
                    log.exception("scanner: handing a code to the kiosk failed")

    def _report(self, health: ScannerHealth, detail: str) -> None:
        if health is self.health:
            return
        self.health = health
        if health is ScannerHealth.OK:
            log.info("scanner ready: %s", detail)
        else:
            log.warning("scanner %s: %s", health, detail)
        try:
            self._on_health(health, detail)
        except Exception:
            log.exception("scanner: reporting its health failed")
