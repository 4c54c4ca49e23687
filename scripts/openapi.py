"""Write the API's OpenAPI document to a file: `python -m scripts.openapi [build/openapi.json]`.

The same document `GET /openapi.json` serves; handy for client generation and reviews.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "build" / "openapi.json"
    sys.path.insert(0, str(ROOT))
    import app as halles
    from chalicelib.openapi import build_document

    document = build_document(halles.app)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"{out}: {len(document['paths'])} paths")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
