"""`running_bench()`: the `scripts.bench` module that is running, for the benchmark modules it imports.

`python -m scripts.bench` runs that file as `__main__`; a benchmark module importing `scripts.bench`
would execute it a second time as another module, whose registry nobody reads. When the bench is
imported rather than run (tests), it may still be half-imported (it imports the benchmark modules):
its entry in sys.modules is then the one to use, as the package attribute is not set yet.
"""

from __future__ import annotations

import sys
from types import ModuleType


def running_bench() -> ModuleType:
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None) == "scripts.bench":
        return main
    import scripts.bench  # noqa: F401

    return sys.modules["scripts.bench"]
