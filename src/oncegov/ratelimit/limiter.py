"""What a rate limiter is (the Protocol) and what a hit answers (``Usage``); the package's
``rate_limiter`` picks the backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Usage:
    """A key's window after a hit of ``amount``: ``count`` hits in it, including these."""

    count: int
    amount: int
    limit: int
    reset_after: int  # whole seconds until the window ends (at least 1)

    @property
    def allowed(self) -> int:
        """How many of this hit's ``amount`` fit under the limit."""
        before = self.count - self.amount
        return max(0, min(self.amount, self.limit - before))

    @property
    def exceeded(self) -> bool:
        """The hit went past the limit (for a peek, ``amount=0``: the budget is used up)."""
        return self.count > self.limit or (self.amount == 0 and self.count >= self.limit)


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Usage:
        """Add ``amount`` hits to ``key``'s current window (``amount=0`` only reads it)."""
        ...
