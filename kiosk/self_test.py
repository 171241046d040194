"""`antre-kiosk --self-test`: the kiosk's hardware, checked with the technician.

In order: the printer's state and a test ticket (its settings, a column ruler, the
large number, a QR code with a test address, the cut or tear line) the technician
looks at; each service button pressed in turn and its light; the priority button and
its light; the buzzer; the scanner (none is configured yet). See `contract.self_test`.
"""

from contract.device_start import SelfTestSetup
from contract.gpio_panel import pin_factory_from_name
from contract.gpio_self_test import ButtonSpec, walk_buttons
from contract.self_test import Outcome, SelfTest, Technician, confirmed, now_text
from contract.site import Kiosk, Site
from kiosk.printer import PrinterFault, TicketPrinter
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
    test.add("pemindai / scanner", Outcome.SKIPPED, "tidak dipasang / none configured")
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
