"""Entry point of `lazygrad-ir`: one subcommand a module, each with add_parser(sub) and main(args).

    lazygrad-ir dump SCRIPT.py [--stage graph|schedule|kernel|loop|source] [--kernel N]
    lazygrad-ir draw SCRIPT.py -o out.svg|out.dot|out.png
    lazygrad-ir run FILE.lgir [--device D] [--inputs ...]
    lazygrad-ir opt FILE.lgir --passes simplify,fuse,lower | --list-passes
    lazygrad-ir why SCRIPT.py
    lazygrad-ir profile SCRIPT.py [--trace out.json]
    lazygrad-ir report SCRIPT.py -o report.html
    lazygrad-ir ops
"""
from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = ("dump", "draw", "run", "opt", "why", "profile", "report", "ops")
MODULE = {"run": "run_ir", "ops": "op_card"}  # modules whose name differs from the subcommand


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lazygrad-ir", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"lazygrad.debug_tool.{MODULE.get(name, name)}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    script_args: list[str] = []
    if "--" in argv:  # what follows `--` belongs to the user's script
        cut = argv.index("--")
        argv, script_args = argv[:cut], argv[cut + 1:]
    parser = build_parser()
    args = parser.parse_args(argv)
    args.script_args = script_args
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
