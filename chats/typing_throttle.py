"""How many typing notices one socket may relay to its user's other tabs: one per chat per
second, and a handful per second in all, so a flood of frames cannot become a flood of events."""

import time
from collections.abc import Callable


class TypingThrottle:
    def __init__(
        self,
        *,
        interval: float = 1.0,
        per_interval: int = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.per_interval = per_interval
        self.clock = clock
        self._last_relayed: dict[int, float] = {}
        self._window_start = float("-inf")
        self._relayed_in_window = 0

    def allow(self, chat_id: int) -> bool:
        now = self.clock()
        if now - self._window_start >= self.interval:
            self._window_start, self._relayed_in_window = now, 0
            # Only chats relayed within the last interval still matter: the map stays small.
            self._last_relayed = {
                chat: at for chat, at in self._last_relayed.items() if now - at < self.interval
            }
        if self._relayed_in_window >= self.per_interval:
            return False
        last = self._last_relayed.get(chat_id)
        if last is not None and now - last < self.interval:
            return False
        self._last_relayed[chat_id] = now
        self._relayed_in_window += 1
        return True
