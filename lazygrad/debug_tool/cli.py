"""Entry point of `lazygrad-ir` (subcommands are being built; see issue 5)."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("lazygrad-ir: no subcommands yet", file=sys.stderr)
    return 2
