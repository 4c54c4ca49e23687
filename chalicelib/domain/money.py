"""Money in integer minor units with a currency. Never floats."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

# ISO 4217 currencies Halles accepts, with their minor-unit exponent.
CURRENCIES: dict[str, int] = {"EUR": 2, "GBP": 2, "USD": 2, "CHF": 2, "SEK": 2, "PLN": 2, "DKK": 2}


@dataclass(frozen=True, order=True)
class Money:
    """An amount in integer minor units with its currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise InvalidInput("Amounts are integers in minor units.", fields={"amount": "must be an integer"})
        if self.currency not in CURRENCIES:
            raise InvalidInput(f"Unsupported currency {self.currency!r}.", fields={"currency": "unsupported"})

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise InvalidInput(
                f"Cannot combine {self.currency} and {other.currency}.", fields={"currency": "mixed currencies"}
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def share(self, basis_points: int) -> Money:
        """`basis_points`/10000 of this amount, rounded half up to the minor unit."""
        return Money((self.amount * basis_points + 5000) // 10000, self.currency)

    def to_json(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}

    def display(self) -> str:
        exp = CURRENCIES[self.currency]
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d} {self.currency}"
