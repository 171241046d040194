"""Which records the site sends the hub, and when it sends them again (pure rules)."""

from broker.hub_link.window import SendWindow, Span


def window(size: int = 10, resend: float = 30.0) -> SendWindow:
    return SendWindow(size, resend)


def test_nothing_is_sent_before_the_hubs_acknowledgement_is_known() -> None:
    w = window()
    assert w.due(5, now=0.0) is None
    w.learned(0, now=1.0)
    assert w.due(5, now=1.0) == Span(0, 5)


def test_sending_starts_after_the_retained_acknowledgement() -> None:
    # GIVEN the hub holds everything up to 40 (its retained acknowledgement)
    w = window()
    w.acknowledged(40, now=0.0)
    w.learned(0, now=0.1)  # the second SUBACK: too late to say "nothing"
    # WHEN the stream holds 45
    # THEN 41..45 go
    assert w.due(45, now=0.2) == Span(40, 45)


def test_no_more_than_the_window_is_in_flight() -> None:
    w = window(size=10)
    w.learned(0, now=0.0)
    assert w.due(100, now=0.0) == Span(0, 10)
    assert w.due(100, now=1.0) is None
    # WHEN the hub acknowledges 4, four more may go
    w.acknowledged(4, now=2.0)
    assert w.due(100, now=2.0) == Span(10, 14)


def test_a_stalled_acknowledgement_makes_everything_after_it_go_again() -> None:
    # GIVEN 1..10 sent and the hub acknowledging 3 (record 4 was lost on the way)
    w = window(size=10, resend=30.0)
    w.learned(0, now=0.0)
    assert w.due(10, now=0.0) == Span(0, 10)
    w.acknowledged(3, now=1.0)
    # WHEN the acknowledgement does not advance for less than the resend time: nothing
    assert w.due(10, now=30.0) is None
    # THEN once it has stood still that long, 4..10 are sent again, once
    assert w.due(10, now=31.0) == Span(3, 10)
    assert w.resends == 1
    assert w.due(10, now=32.0) is None


def test_nothing_in_flight_is_never_resent() -> None:
    w = window(resend=30.0)
    w.learned(0, now=0.0)
    assert w.due(3, now=0.0) == Span(0, 3)
    w.acknowledged(3, now=1.0)
    assert w.due(3, now=100.0) is None
    assert w.resends == 0
    # AND a record written much later starts its own resend clock
    assert w.due(4, now=200.0) == Span(3, 4)
    assert w.due(4, now=220.0) is None
    assert w.due(4, now=231.0) == Span(3, 4)


def test_an_acknowledgement_that_goes_back_is_believed() -> None:
    # GIVEN the hub had acknowledged 50, then was restored from a backup holding 20
    w = window(size=100)
    w.learned(0, now=0.0)
    assert w.due(50, now=0.0) == Span(0, 50)
    w.acknowledged(50, now=1.0)
    w.acknowledged(20, now=2.0)
    # THEN 21..50 are sent again at once
    assert w.due(50, now=2.0) == Span(20, 50)


def test_a_lost_connection_sends_the_flight_again() -> None:
    w = window()
    w.learned(0, now=0.0)
    assert w.due(5, now=0.0) == Span(0, 5)
    w.rewind()
    assert w.due(5, now=0.1) == Span(0, 5)


def test_nothing_is_sent_or_resent_while_the_bridge_is_down() -> None:
    # GIVEN 1..5 in flight when the bridge to the hub goes down
    w = window(resend=30.0)
    w.learned(0, now=0.0)
    assert w.due(5, now=0.0) == Span(0, 5)
    w.bridge(up=False, now=1.0)
    # WHEN much time passes and records pile up: nothing goes
    assert w.due(50, now=1000.0) is None
    assert w.resends == 0
    # THEN once it is up again, everything after the acknowledgement goes
    w.bridge(up=True, now=1001.0)
    assert w.due(50, now=1001.0) == Span(0, 10)
