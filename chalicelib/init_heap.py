"""The garbage collector around a function's init (app.py).

Init builds what lives as long as the process (modules, classes, the routes' pydantic validators...):
the collector's passes over it during init find next to nothing (~0.5% of the objects) and a full one
costs ~40 ms. So it is off while init runs, and what init built then goes to the permanent generation
(the pattern of the `gc.freeze` docs), so that no later collection walks it again either: without it,
the imports of a first checkout triggered a full collection over the whole init heap (~20 ms).
chalicelib/snapstart.py freezes again after priming, for the same reason.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def built_once() -> Iterator[None]:
    """Collection paused while the block builds the process's permanent objects, then those frozen."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
