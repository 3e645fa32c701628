"""The debouncer with a fake clock: a burst gives one batch, the max wait flushes a stream."""

from __future__ import annotations

from devenv.watch.debounce import Debouncer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_nothing_pending():
    debouncer = Debouncer(0.1, 2.0, clock=FakeClock())
    assert debouncer.time_until_due() is None
    assert not debouncer.due()
    assert debouncer.flush() == frozenset()


def test_burst_becomes_one_batch_after_the_quiet_window():
    clock = FakeClock()
    debouncer = Debouncer(0.125, 2.0, clock=clock)  # binary fractions: exact float arithmetic
    for i in range(5000):
        debouncer.add(f"src/f{i}.py", created=i % 2 == 0)  # new files, and files rewritten in place
        clock.advance(1 / 16384)  # 5,000 files in 0.3 s
        assert not debouncer.due()
    assert debouncer.time_until_due() == 0.125 - 1 / 16384
    clock.advance(0.0625)
    assert not debouncer.due()
    clock.advance(0.0625)
    assert debouncer.due()
    batch = debouncer.flush()
    assert len(batch) == 5000
    assert not debouncer.due()
    assert debouncer.time_until_due() is None


def test_same_path_twice_is_one_entry():
    clock = FakeClock()
    debouncer = Debouncer(0.1, 2.0, clock=clock)
    debouncer.add("a.py")
    debouncer.add("a.py")
    assert debouncer.pending() == 1


def test_max_wait_flushes_a_stream_that_never_goes_quiet():
    clock = FakeClock()
    debouncer = Debouncer(0.125, 2.0, clock=clock)
    flushes = 0
    for i in range(400):  # an event every 62.5 ms for 25 s: never quiet for 125 ms
        debouncer.add(f"log{i % 7}")
        clock.advance(0.0625)
        if debouncer.due():
            assert debouncer.flush()
            flushes += 1
    assert flushes == 12  # one every 2 s (32 events), no more


def test_time_until_due_is_the_earlier_deadline():
    clock = FakeClock()
    debouncer = Debouncer(0.5, 1.0, clock=clock)
    debouncer.add("a")
    clock.advance(0.4)
    debouncer.add("b")  # quiet deadline moves to +0.9, max wait stays at +1.0
    assert abs(debouncer.time_until_due() - 0.5) < 1e-9
    clock.advance(0.4)
    debouncer.add("c")  # quiet deadline +1.3 is later than max wait +1.0
    assert abs(debouncer.time_until_due() - 0.2) < 1e-9


def test_max_wait_never_shorter_than_quiet():
    debouncer = Debouncer(0.3, 0.1, clock=FakeClock())
    assert debouncer.max_wait_s == 0.3


# --- a complete save settles sooner (settle window), a burst still waits for quiet ---


SETTLE, IN_PLACE = 0.015625, 0.00390625  # binary fractions: exact float arithmetic


def _settling(clock: FakeClock) -> Debouncer:
    return Debouncer(0.125, 2.0, clock=clock, settle_s=SETTLE, in_place_settle_s=IN_PLACE)


def test_a_save_closed_after_writing_is_due_after_the_settle_window():
    clock = FakeClock()
    debouncer = _settling(clock)
    debouncer.add("shop/page.py")  # truncate (O_TRUNC): modified
    clock.advance(0.001)
    debouncer.add("shop/page.py")  # write: modified
    assert debouncer.time_until_due() == 0.125  # still open for writing: the quiet window
    debouncer.done("shop/page.py", True)  # IN_CLOSE_WRITE of a file written in place
    assert debouncer.time_until_due() == IN_PLACE
    clock.advance(IN_PLACE)
    assert debouncer.flush() == {"shop/page.py"}


def test_truncate_then_write_never_acts_on_the_empty_file():
    clock = FakeClock()
    debouncer = _settling(clock)
    debouncer.add("shop/page.py")  # truncated, not closed: the file may be empty now
    clock.advance(0.1)
    assert not debouncer.due()  # open for writing: only the quiet window (or a close) ends it
    debouncer.add("shop/page.py")
    debouncer.done("shop/page.py", True)
    clock.advance(IN_PLACE)
    assert debouncer.flush() == {"shop/page.py"}
    assert debouncer.pending() == 0  # one batch, one reload


def test_write_temp_then_rename_is_one_batch():
    clock = FakeClock()
    debouncer = _settling(clock)
    debouncer.add("shop/.page.py.tmp", created=True)  # created
    debouncer.add("shop/.page.py.tmp")  # written
    clock.advance(0.001)
    debouncer.done("shop/.page.py.tmp", True)  # closed: a new file, the editor's next step may follow
    assert debouncer.time_until_due() == SETTLE
    clock.advance(0.0078125)  # the editor renames within the settle window (past the in-place one)
    assert not debouncer.due()
    debouncer.add("shop/.page.py.tmp")  # moved away (src)
    debouncer.done("shop/.page.py.tmp", False)
    debouncer.add("shop/page.py")  # moved into place (dest): the save itself
    debouncer.done("shop/page.py", True)
    assert debouncer.time_until_due() == IN_PLACE
    clock.advance(IN_PLACE)
    assert debouncer.flush() == {"shop/.page.py.tmp", "shop/page.py"}


def test_a_new_file_closed_waits_the_longer_settle_a_rewrite_of_it_too():
    clock = FakeClock()
    debouncer = _settling(clock)
    debouncer.add("shop/new.py", created=True)
    debouncer.done("shop/new.py", True)
    assert debouncer.time_until_due() == SETTLE
    debouncer.add("shop/new.py")  # written again in place, still in the batch that created it
    debouncer.done("shop/new.py", True)
    assert debouncer.time_until_due() == SETTLE
    clock.advance(SETTLE)
    assert debouncer.flush() == {"shop/new.py"}
    debouncer.add("shop/new.py")  # a later save of it, in place: the short settle
    debouncer.done("shop/new.py", True)
    assert debouncer.time_until_due() == IN_PLACE


def test_without_an_in_place_window_every_complete_write_settles_alike():
    clock = FakeClock()
    debouncer = Debouncer(0.125, 2.0, clock=clock, settle_s=SETTLE)
    debouncer.add("shop/page.py")
    debouncer.done("shop/page.py", True)
    assert debouncer.time_until_due() == SETTLE


def test_a_deleted_file_alone_waits_for_quiet():
    clock = FakeClock()
    debouncer = _settling(clock)
    debouncer.add("shop/old.py")
    debouncer.done("shop/old.py", False)  # nothing was written: no sooner than the quiet window
    assert debouncer.time_until_due() == 0.125


def test_a_close_of_a_path_outside_the_batch_is_ignored():
    clock = FakeClock()
    debouncer = _settling(clock)
    debouncer.done("shop/page.py", True)
    assert debouncer.pending() == 0 and debouncer.time_until_due() is None


def test_a_checkout_of_5000_closed_files_is_one_batch():
    clock = FakeClock()
    debouncer = _settling(clock)
    batches = []
    for i in range(5000):
        debouncer.add(f"src/f{i}.py", created=i % 2 == 0)  # new files, and files rewritten in place
        debouncer.done(f"src/f{i}.py", True)  # each file written and closed
        clock.advance(1 / 8192)  # a checkout writes a file in well under a millisecond
        if debouncer.due():
            batches.append(debouncer.flush())
    assert batches == []  # past a handful of paths the settle window no longer applies
    assert not debouncer.due()
    clock.advance(0.125)
    assert debouncer.due()
    assert len(debouncer.flush()) == 5000
