"""`antre-kiosk --self-test`: the kiosk's hardware, checked with the technician.

In order: the printer's state and a test ticket (its settings, a column ruler, the
large number, a QR code with a test address, the cut or tear line) the technician
looks at; each service button pressed in turn and its light; the priority button and
its light; the buzzer; the scanner, if one is configured: the technician scans any
code and sees what was read. See `contract.self_test`.
"""

import time

from contract.booking_code import parse_code
from contract.device_start import SelfTestSetup
from contract.gpio_panel import pin_factory_from_name
from contract.gpio_self_test import ButtonSpec, walk_buttons
from contract.logs import escape_controls
from contract.self_test import Outcome, SelfTest, Technician, confirmed, now_text
from contract.site import Kiosk, Site
from kiosk.printer import PrinterFault, TicketPrinter
from kiosk.scanner.readers import Reader, ScannerError, open_reader
from kiosk.ticket_layout import self_test_ticket_layout


def run_self_test(setup: SelfTestSetup[Kiosk], printer: TicketPrinter) -> int:
    """Walks through the kiosk's hardware; 0 if everything passed, else 1."""
    kiosk, technician = setup.device, setup.technician
    test = SelfTest(kiosk.id, "kiosk", now_text(setup.clock()))
    technician.say(f"Uji mandiri kiosk {kiosk.id} / kiosk self-test")
    _printer(setup.site, kiosk, printer, technician, test, setup.timeout)
    walk_buttons(
        f"kiosk {kiosk.id}",
        button_specs(setup.site, kiosk),
        technician,
        test,
        pin_factory=pin_factory_from_name(setup.args.pin_factory),
        timeout=setup.timeout,
        buzzer=("buzzer_pin", kiosk.buzzer_pin) if kiosk.buzzer_pin is not None else None,
    )
    if kiosk.buzzer_pin is None:
        test.add("buzzer", Outcome.SKIPPED, "tidak dipasang / none configured")
    _scanner(kiosk, technician, test, setup.timeout)
    saved = test.save(setup.state_dir)
    technician.checklist(test, saved)
    return 0 if test.passed else 1


def button_specs(site: Site, kiosk: Kiosk) -> list[ButtonSpec]:
    """Each service button (typed by its prefix), then the priority button ("*")."""
    specs = [
        ButtonSpec(
            name=button.service,
            label=f"{button.service}, {site.services_by_prefix[button.service].name}",
            typed=button.service,
            key=f"buttons[{i}].pin",
            pin=button.pin,
            led_pin=button.led_pin,
            led_key=f"buttons[{i}].led_pin",
        )
        for i, button in enumerate(kiosk.buttons)
    ]
    if kiosk.priority_button_pin is not None:
        specs.append(
            ButtonSpec(
                name="prioritas",
                label="prioritas / priority",
                typed="*",
                key="priority_button_pin",
                pin=kiosk.priority_button_pin,
                led_pin=kiosk.priority_led_pin,
                led_key="priority_led_pin",
            )
        )
    return specs


def _printer(
    site: Site,
    kiosk: Kiosk,
    printer: TicketPrinter,
    technician: Technician,
    test: SelfTest,
    timeout: float,
) -> None:
    health = printer.health()
    config = kiosk.printer
    where = f"{config.type}, {config.width_mm} mm"
    if not health.printable:
        test.add("printer", Outcome.FAILED, f"{health} ({where})")
        test.add("tiket uji / test ticket", Outcome.SKIPPED, "printer tidak siap / not ready")
        return
    test.add("printer", Outcome.PASSED, f"{health} ({where})")
    technician.say("Mencetak tiket uji / printing a test ticket")
    try:
        printer.print_blocks(self_test_ticket_layout(site, kiosk.id, config))
    except PrinterFault as fault:
        test.add("tiket uji / test ticket", Outcome.FAILED, str(fault))
        return
    answer = technician.confirm(
        "Tiket uji tercetak jelas: penggaris pas satu baris, nomor besar, QR dapat dipindai, "
        "terpotong atau garis sobek? / is the test ticket right?",
        timeout,
    )
    confirmed(test, "tiket uji / test ticket", answer, "tidak sesuai / not right")


SCANNER = "pemindai / scanner"


def _scanner(kiosk: Kiosk, technician: Technician, test: SelfTest, timeout: float) -> None:
    """Passes when the scanner reads a code within `timeout`; shows what it read."""
    if kiosk.scanner is None:
        test.add(SCANNER, Outcome.SKIPPED, "tidak dipasang / none configured")
        return
    where = f"{kiosk.scanner.type}, {kiosk.scanner.device}"
    try:
        reader = open_reader(kiosk.scanner)
    except ScannerError as e:
        test.add(SCANNER, Outcome.FAILED, str(e))
        return
    technician.say(f"Pindai kode apa saja / scan any code ({where})")
    try:
        code = _first_code(reader, timeout)
    except ScannerError as e:
        test.add(SCANNER, Outcome.FAILED, str(e))
        return
    finally:
        reader.close()
    if code is None:
        test.add(SCANNER, Outcome.FAILED, f"tidak ada kode dalam {timeout:g} s / nothing read")
        return
    kind = (
        "kode booking / a booking code"
        if parse_code(code)
        else "bukan kode booking / no booking code"
    )
    read = f"terbaca / read {escape_controls(code)!r} ({kind})"
    technician.say(read)
    test.add(SCANNER, Outcome.PASSED, read)


def _first_code(reader: Reader, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        codes = reader.read(min(left, 0.2))
        if codes:
            return codes[0]
    return None
