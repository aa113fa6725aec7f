"""`lazygrad-ir run FILE.lgir`: execute a saved IR file (Graph IR, Kernel IR or Loop IR).

Inputs are random with a fixed seed unless given as .npy files (`--inputs a.npy b.npy` or
`--inputs DIR` for DIR/in0.npy, in1.npy, ... as `dump --save-data` writes them). They bind
in order: for Graph IR to the `buffer` nodes as the file lists them, for Kernel and Loop IR
to parameters p1, p2, ... (p0 is the output). Prints each output's summary and the time.
"""
from __future__ import annotations

import argparse
import glob
import os
import pathlib
import re
import sys

import numpy as np

from lazygrad.codegen.loop_parse import parse_loop_ir
from lazygrad.debug_tool import execute
from lazygrad.debug_tool.dump import save_npy
from lazygrad.debug_tool.units import Unit, split_units
from lazygrad.errors import IRParseError, LazygradError
from lazygrad.ir.parser import parse_graph


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run a saved IR file with random or given inputs",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="an IR file (.lgir) as `dump` writes it, or hand-written")
    p.add_argument("--device", help="run on this device (default: the device in the file, or the default)")
    p.add_argument("--inputs", nargs="+", metavar="NPY", help=".npy files in parameter order, or one directory")
    p.add_argument("--unit", help="run only this unit of a multi-unit file (e.g. kernel1)")
    p.add_argument("--repeat", type=int, default=1, help="time this many launches (Kernel/Loop IR)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--save-outputs", metavar="DIR", help="write out0.npy, out1.npy, ... to DIR")
    p.set_defaults(func=main)


def load_inputs(paths: list[str] | None) -> list[np.ndarray] | None:
    if not paths:
        return None
    if len(paths) == 1 and os.path.isdir(paths[0]):
        found = glob.glob(os.path.join(paths[0], "in*.npy"))
        paths = sorted(found, key=lambda p: int(re.sub(r"\D", "", os.path.basename(p)) or 0))
    return [np.load(p) for p in paths]


def read_units(path: str) -> list[Unit]:
    try:
        with open(path) as f:
            return split_units(f.read())
    except OSError as e:
        raise SystemExit(f"lazygrad-ir: cannot read {path}: {e.strerror}") from None


def pick(units: list[Unit], name: str | None) -> list[Unit]:
    if name is None:
        return units
    chosen = [u for u in units if u.name == name]
    if not chosen:
        raise SystemExit(f"lazygrad-ir: no unit {name!r}; units in the file: "
                         f"{', '.join(u.name for u in units)}")
    return chosen


def summary(a: np.ndarray) -> str:
    head = f"{a.dtype}{list(a.shape)}"
    if a.size == 0:
        return f"{head} (empty)"
    if a.dtype.kind in "fiub":
        stats = a.astype(np.float64)
        head += f"  min={stats.min():.6g} max={stats.max():.6g} mean={stats.mean():.6g}"
    values = np.array2string(a.reshape(-1)[:8], precision=6, separator=", ", max_line_width=10**6)
    return f"{head}  first: {values}{' ...' if a.size > 8 else ''}"


def main(args) -> int:
    units = pick(read_units(args.file), args.unit)
    inputs = load_inputs(args.inputs)
    runnable = [u for u in units if u.level != "source"]
    if not runnable:
        print(f"lazygrad-ir run: {args.file} holds no runnable IR (source code runs through "
              f"its device; dump --stage loop gives IR that runs anywhere)", file=sys.stderr)
        for grammar, parse in (("Graph or Kernel IR", parse_graph), ("Loop IR", parse_loop_ir)):
            try:  # what each grammar says of it, with line and column
                parse(pathlib.Path(args.file).read_text(errors="replace"))
            except IRParseError as e:
                print(f"  read as {grammar}: {e}", file=sys.stderr)
        return 2
    if inputs is not None and len(runnable) > 1:
        print(f"lazygrad-ir run: --inputs needs one unit; pick one with --unit "
              f"({', '.join(u.name for u in runnable)})", file=sys.stderr)
        return 2
    status = 0
    for unit in runnable:
        try:
            result = execute.run_unit(unit, args.device, inputs, args.seed, args.repeat)
        except LazygradError as e:
            print(f"{args.file}: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"{unit.name} ({unit.level} IR on {result.device}):")
        for i, (label, a) in enumerate(result.inputs):
            print(f"  in{i} {label}: {'given' if inputs is not None else 'random'} {summary(a)}")
        for i, a in enumerate(result.outputs):
            print(f"  out{i}: {summary(a)}")
        for k in result.kernels:
            print(f"  kernel {k.index} {k.name}: {k.seconds * 1e3:.3f} ms")
        print(f"  time: {result.seconds * 1e3:.3f} ms ({result.what})")
        if args.save_outputs:  # one unit: DIR/out0.npy; several: DIR/UNIT/out0.npy
            folder = args.save_outputs if len(runnable) == 1 else os.path.join(args.save_outputs, unit.name)
            os.makedirs(folder, exist_ok=True)
            for i, a in enumerate(result.outputs):
                save_npy(os.path.join(folder, f"out{i}.npy"), a)
    return status
