"""Cart limits, shared by the pricing rules and the HTTP contract (kept apart so `import app` stays light)."""

MAX_LINE_QUANTITY = 10
MAX_CART_LINES = 50
