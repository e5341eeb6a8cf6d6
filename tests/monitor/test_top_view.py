"""`sriovctl top`: rates between samples, sorting, the table, the loop and its keys."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from sriovctl.monitor import live
from sriovctl.monitor.rates import human, rates, sort_rates
from sriovctl.monitor.sample import Sample, VfSample


def vf(index: int, source: str = "pf", **counters) -> VfSample:
    full = {"rx_packets": 0, "tx_packets": 0, "rx_bytes": 0, "tx_bytes": 0, "rx_dropped": 0,
            "tx_dropped": 0, **counters}
    return VfSample(pf="enp1s0", pf_pci="0000:01:00.0", index=index,
                    address=f"0000:01:10.{index}", stats_source=source, counters=full,
                    spoofchk=True)


def sample(at: float, *vfs: VfSample) -> Sample:
    return Sample(host="compute-0", taken_at=at, duration=0.01, vfs=vfs)


def test_rates_per_second_bits_and_drops():
    before = sample(10.0, vf(0, rx_packets=100, rx_bytes=1000, tx_dropped=1), vf(1))
    after = sample(12.0, vf(0, rx_packets=300, rx_bytes=3000, tx_dropped=5, rx_dropped=1),
                   vf(1, tx_packets=10))
    r0, r1 = rates(before, after)
    assert (r0.rx_pps, r0.rx_bps, r0.drops, r0.tx_pps) == (100.0, 8000.0, 2.5, 0.0)
    assert (r1.tx_pps, r1.rx_pps) == (5.0, 0.0)


def test_no_rate_without_history_after_a_reset_or_a_source_change():
    first = sample(1.0, vf(0, rx_packets=100), vf(1, rx_packets=5), vf(2, rx_packets=5))
    assert all(r.rx_pps is None for r in rates(None, first))
    second = sample(2.0, vf(0, rx_packets=10), vf(1, source="vf_netdev", rx_packets=9),
                    vf(3, rx_packets=1))
    r0, r1, r3 = rates(first, second)
    assert r0.rx_pps is None  # counters went backwards: the VF was re-created
    assert r1.rx_pps is None  # now counted elsewhere: not comparable
    assert r3.rx_pps is None  # new VF
    assert r0.tx_pps == 0.0


def test_missing_counters_give_no_rate():
    a = sample(1.0, VfSample(pf="p", pf_pci="", index=0, address=""))
    b = sample(2.0, VfSample(pf="p", pf_pci="", index=0, address=""))
    (r,) = rates(a, b)
    assert (r.rx_pps, r.drops) == (None, None)


def test_sorting_busiest_first_unknown_last_ties_in_vf_order():
    before = sample(0.0, vf(0), vf(1), vf(2), vf(3))
    after = sample(1.0, vf(0, rx_packets=5), vf(1, rx_packets=50), vf(2), vf(3, rx_packets=5))
    rows = rates(before, after) + rates(None, sample(1.0, vf(4)))
    assert [r.vf.index for r in sort_rates(rows, "rx_pps")] == [1, 0, 3, 2, 4]
    assert [r.vf.index for r in sort_rates(rows, "vf")] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("value, text", [
    (None, "-"), (0, "0"), (0.5, "0.5"), (12.34, "12.3"), (999, "999"), (1234, "1.23k"),
    (123456, "123k"), (1_500_000, "1.5M"), (9.87e9, "9.87G")])
def test_human_numbers_fit_the_columns(value, text):
    assert human(value) == text


def render_text(table, width: int = 80) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(table)
    return console.file.getvalue()


def test_the_table_fits_80_columns_and_shows_who_holds_each_vf():
    before = sample(0.0, vf(0), vf(1))
    held = VfSample(pf="enp1s0", pf_pci="", index=1, address="0000:01:10.2",
                    domain="instance-0000002a", stats_source="none", spoofchk=False)
    after = sample(1.0, vf(0, rx_packets=1_234_567, rx_bytes=10**8), held)
    text = render_text(live.render(rates(before, after), after, "rx_pps"))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    row0 = next(line for line in lines if line.startswith("enp1s0/0"))
    assert "01:10.0" in row0 and "1.23M" in row0 and "800M" in row0 and row0.rstrip().endswith("pf")
    row1 = next(line for line in lines if line.startswith("enp1s0/1"))
    # the domain column gives way first, with an ellipsis; the numbers never do
    assert "instance-00000…" in row1 and " off " in row1 and row1.rstrip().endswith("-")
    assert "sorted by received packets/s" in text and "q quit" in text
    wide = render_text(live.render(rates(before, after), after, "rx_pps"), width=100)
    assert "instance-0000002a" in wide


def test_the_table_says_how_many_rows_it_left_out_and_the_scrape_errors():
    cur = Sample(host="h", taken_at=0, duration=0, vfs=tuple(vf(i) for i in range(5)),
                 errors=(("netlink", "OSError: no"),))
    text = render_text(live.render(rates(None, cur), cur, "vf", reverse=True, limit=2))
    assert "+3 more" in text and "netlink: OSError: no" in text
    assert "(reversed)" in text
    assert text.index("enp1s0/4") < text.index("enp1s0/3")


class ScriptedKeys(live.Keys):
    """Keys pressed at given clock times; waiting advances the fake clock."""

    def __init__(self, clock: list, presses: dict):
        super().__init__(stream=io.StringIO())
        self.clock, self.presses = clock, dict(presses)

    def wait(self, seconds: float):
        for at in sorted(self.presses):
            if at <= self.clock[0] + seconds:
                self.clock[0] = max(self.clock[0], at)
                return self.presses.pop(at)
        self.clock[0] += seconds
        return None


def scraper(clock: list):
    calls = []

    def scrape() -> Sample:
        calls.append(clock[0])
        n = len(calls)
        return sample(clock[0], vf(0, rx_packets=10 * n), vf(1, rx_packets=100 * n))

    return scrape, calls


def test_the_loop_refreshes_each_interval_and_stops_after_n():
    clock = [0.0]
    scrape, calls = scraper(clock)
    out = io.StringIO()
    rc = live.run(scrape, "rx_pps", interval=1.0, iterations=3,
                  keys=ScriptedKeys(clock, {}), console=Console(file=out, width=100),
                  clock=lambda: clock[0])
    assert rc == 0 and calls == [0.0, 1.0, 2.0, 3.0]
    assert "100" in out.getvalue()  # VF 1's 100 packets/s


def test_keys_sort_reverse_and_quit():
    clock = [0.0]
    scrape, calls = scraper(clock)
    out = io.StringIO()
    keys = ScriptedKeys(clock, {0.5: "s", 0.6: "r", 1.5: "q"})
    rc = live.run(scrape, "rx_pps", interval=1.0, keys=keys,
                  console=Console(file=out, width=100), clock=lambda: clock[0])
    assert rc == 0 and calls == [0.0, 1.0]  # q before the next refresh
    assert "sorted by sent packets/s (reversed)" in out.getvalue()


def test_ctrl_c_is_a_clean_exit():
    clock = [0.0]

    class Interrupting(ScriptedKeys):
        def wait(self, seconds):
            raise KeyboardInterrupt

    scrape, _ = scraper(clock)
    rc = live.run(scrape, "rx_pps", keys=Interrupting(clock, {}),
                  console=Console(file=io.StringIO()), clock=lambda: clock[0])
    assert rc == 0


def test_keys_on_a_pipe_only_wait(monkeypatch):
    slept = []
    monkeypatch.setattr(live.time, "sleep", slept.append)
    with live.Keys(stream=io.StringIO()) as keys:
        assert keys.wait(0.25) is None
    assert slept == [0.25]


def test_keys_on_a_terminal_read_single_presses_and_restore_the_mode():
    import os
    import pty
    import termios

    master, slave = pty.openpty()
    try:
        stream = os.fdopen(slave, "r", closefd=False)
        before = termios.tcgetattr(slave)
        with live.Keys(stream=stream) as keys:
            assert not termios.tcgetattr(slave)[3] & termios.ICANON  # cbreak while running
            os.write(master, b"s")
            assert keys.wait(1.0) == "s"
            assert keys.wait(0.01) is None
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)
