"""The typing throttle's decisions on a clock the test moves: exact, however fast the machine."""

from chats.typing_throttle import TypingThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_one_chat_is_relayed_once_a_second() -> None:
    clock = FakeClock()
    throttle = TypingThrottle(clock=clock)
    assert throttle.allow(7)
    assert [throttle.allow(7) for _ in range(1000)] == [False] * 1000
    clock.now += 0.999
    assert not throttle.allow(7)
    clock.now += 0.001  # a second after the one relayed; the refused ones did not push it back
    assert throttle.allow(7)
    assert not throttle.allow(7)


def test_at_most_a_handful_of_chats_a_second_in_all() -> None:
    clock = FakeClock()
    throttle = TypingThrottle(clock=clock)
    assert [throttle.allow(chat) for chat in range(1, 11)] == [True] * 5 + [False] * 5
    clock.now += 0.5
    assert not throttle.allow(11)  # still the same second
    clock.now += 0.5
    assert [throttle.allow(chat) for chat in range(11, 21)] == [True] * 5 + [False] * 5


def test_a_chat_relayed_late_in_one_window_waits_its_own_second_in_the_next() -> None:
    clock = FakeClock()
    throttle = TypingThrottle(clock=clock)
    assert throttle.allow(1)
    clock.now += 0.5
    assert throttle.allow(2)
    clock.now += 0.5  # a new window: chat 1 is a second old, chat 2 half a second
    assert (throttle.allow(1), throttle.allow(2)) == (True, False)
    clock.now += 0.5
    assert throttle.allow(2)


def test_the_limits_can_be_set() -> None:
    clock = FakeClock()
    throttle = TypingThrottle(interval=2.0, per_interval=2, clock=clock)
    assert [throttle.allow(chat) for chat in (1, 2, 3)] == [True, True, False]
    clock.now += 1.5
    assert not throttle.allow(3)
    clock.now += 0.5
    assert (throttle.allow(3), throttle.allow(1)) == (True, True)


def test_a_flood_over_many_chats_and_seconds_keeps_the_throttle_small() -> None:
    clock = FakeClock()
    throttle = TypingThrottle(clock=clock)
    relayed = 0
    for second in range(100):
        clock.now = 500.0 + second
        relayed += sum(throttle.allow(second * 1000 + chat) for chat in range(1000))
    assert relayed == 100 * 5
    # Only the chats of the last second are remembered, not the 100,000 it was sent.
    assert len(throttle._last_relayed) == 5
