"""`antre-survey --self-test`: the unit's four buttons and their lights, checked with the
technician, best first (see `contract.self_test`)."""

from contract.device_start import SelfTestSetup
from contract.gpio_panel import pin_factory_from_name
from contract.gpio_self_test import ButtonSpec, walk_buttons
from contract.self_test import SelfTest, now_text
from contract.site import SurveyUnit
from survey.app import CHOICES


def run_self_test(setup: SelfTestSetup[SurveyUnit]) -> int:
    """Walks through the unit's buttons; 0 if everything passed, else 1."""
    unit, technician = setup.device, setup.technician
    test = SelfTest(unit.id, "survey", now_text(setup.clock()))
    technician.say(f"Uji mandiri unit survei {unit.id} / survey unit self-test")
    walk_buttons(
        f"survey unit {unit.id}",
        button_specs(unit),
        technician,
        test,
        pin_factory=pin_factory_from_name(setup.args.pin_factory),
        timeout=setup.timeout,
    )
    saved = test.save(setup.state_dir)
    technician.checklist(test, saved)
    return 0 if test.passed else 1


def button_specs(unit: SurveyUnit) -> list[ButtonSpec]:
    """The four buttons, typed by their rating ("4" sangat puas ... "1" tidak puas)."""
    return [
        ButtonSpec(
            name=str(rating),
            label=f"{rating}, {CHOICES[rating]}",
            typed=str(rating),
            key=key,
            pin=pin,
            led_pin=led_pin,
            led_key=key.removesuffix("_pin") + "_led_pin",
        )
        for rating, key, pin, led_pin in unit.buttons()
    ]
