"""The console reporter: "Still ..." lines every interval, true upload percentages, Ctrl-C notice."""

from __future__ import annotations

import io

from modelinfra.views import console
from modelinfra.views.progress import ConsoleReporter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def reporter() -> tuple[ConsoleReporter, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    return ConsoleReporter(console._make(out), interval=10, clock=clock, ticker=False), out, clock


def test_a_long_action_prints_still_lines_every_interval_for_each_kind():
    rep, out, clock = reporter()
    rep.action_started("account", "create")
    rep.action_started("old", "delete")
    clock.now += 9
    rep.tick()
    assert "Still" not in out.getvalue()
    clock.now += 1
    rep.tick()
    rep.tick()  # no second line for the same interval
    clock.now += 10
    rep.action_started("queue", "update")
    rep.tick()
    lines = out.getvalue().splitlines()
    assert lines.count("account: Still creating... [10s elapsed]") == 1
    assert "account: Still creating... [20s elapsed]" in lines
    assert "old: Still destroying... [20s elapsed]" in lines
    assert not any(line.startswith("queue: Still") for line in lines)
    clock.now += 10
    rep.action_done("account", "create")
    rep.tick()
    assert "queue: Still modifying... [10s elapsed]" in out.getvalue()
    assert "account: Still creating... [30s elapsed]" not in out.getvalue()


def test_upload_percentages_are_the_true_ones():
    rep, out, _ = reporter()
    mib = 1024 * 1024
    for done in (4 * mib, 6 * mib, 12 * mib, 20 * mib):
        rep.transfer("blob", done, 20 * mib)
    text = out.getvalue()
    assert f"uploaded {6 * mib}/{20 * mib} bytes (30%)" in text
    assert f"uploaded {12 * mib}/{20 * mib} bytes (60%)" in text and "(100%)" in text
    assert "(0%)" not in text


def test_an_interrupt_is_acknowledged_naming_the_actions_under_way():
    rep, out, _ = reporter()
    rep.action_started("account", "create")
    rep.interrupted()
    assert "Interrupt received: finishing 1 action(s) under way (account), then saving state." in out.getvalue()


def test_a_long_read_prints_still_refreshing_and_is_not_an_action_under_way():
    rep, out, clock = reporter()
    rep.refresh_started("account")
    rep.action_started("queue", "create")
    clock.now += 10
    rep.tick()
    assert "account: Still refreshing... [10s elapsed]" in out.getvalue().splitlines()
    assert rep.running() == ["queue"]
    rep.refresh_done("account")
    clock.now += 10
    rep.tick()
    assert "account: Still refreshing... [20s elapsed]" not in out.getvalue()
    assert "queue: Still creating... [20s elapsed]" in out.getvalue()


def test_the_ticker_thread_prints_still_refreshing_on_its_own():
    import time

    out = io.StringIO()
    rep = ConsoleReporter(console._make(out), interval=0.2)
    rep.refresh_started("account")
    time.sleep(0.7)
    rep.refresh_done("account")
    assert "account: Still refreshing... [0s elapsed]" in out.getvalue()
    rep.action_started("queue", "create")  # the thread stopped with nothing running; a new one starts
    time.sleep(0.5)
    rep.action_done("queue", "create")
    assert "queue: Still creating..." in out.getvalue()
