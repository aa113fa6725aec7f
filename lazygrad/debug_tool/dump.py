"""`lazygrad-ir dump SCRIPT.py`: run a script and print one stage of everything it realized.

The output is IR text the parsers read back (Graph IR for graph/schedule, Kernel IR, Loop IR);
`-o DIR` writes one file a unit instead, and `--save-data DIR` keeps the data each unit
read and produced (DIR/UNIT/in0.npy ..., out0.npy) so that `lazygrad-ir run FILE --inputs
DIR/UNIT` recomputes the same numbers.
"""
from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

from lazygrad.debug_tool.capture import Capture, buffer_leaves, from_offset, run_script
from lazygrad.debug_tool.stages import SelectionError, stage_units
from lazygrad.debug_tool.units import LEVELS, Unit
from lazygrad.ir.node import base_of
from lazygrad.runtime.disk_cache import atomic_write


def add_script_args(p: argparse.ArgumentParser) -> None:
    """SCRIPT; its own arguments go after `--` (cli.main splits them off into script_args)."""
    p.add_argument("script", help="the Python script to run (its own arguments go after --)")
    p.add_argument("--device", help="default device for the script (c, opencl, python, ...)")


def add_parser(sub) -> None:
    p = sub.add_parser("dump", help="run a script and print a stage of every realized graph as IR text",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stage", default="graph", help=f"one of {', '.join(LEVELS)} (default: graph)")
    p.add_argument("--kernel", type=int, help="only kernel N (numbered over the whole run)")
    p.add_argument("--graph", type=int, help="only realize N")
    p.add_argument("-o", "--output-dir", help="write each unit to DIR/UNIT.lgir instead of stdout")
    p.add_argument("--save-data", metavar="DIR", help="save each unit's inputs and outputs as .npy")
    add_script_args(p)
    p.set_defaults(func=main)


def save_data(capture: Capture, units: list[Unit], stage: str, directory: str) -> None:
    """DIR/UNIT/in{i}.npy in the order `run` binds inputs, and out{i}.npy: the results."""
    for unit in units:
        arrays_in, arrays_out = _data_of(capture, unit.name, stage)
        if arrays_in is None:
            continue
        folder = os.path.join(directory, unit.name)
        os.makedirs(folder, exist_ok=True)
        for i, a in enumerate(arrays_in):
            save_npy(os.path.join(folder, f"in{i}.npy"), a)
        for i, a in enumerate(arrays_out):
            save_npy(os.path.join(folder, f"out{i}.npy"), a)


def save_npy(path: str, array: np.ndarray) -> None:
    """np.save, written atomically as every file lazygrad writes."""
    data = io.BytesIO()
    np.save(data, array)
    atomic_write(path, data.getbuffer(), durable=False)


def _data_of(capture: Capture, name: str, stage: str):
    if name.startswith("graph"):
        r = capture.realizes[int(name[5:])]
        inputs = r.graph_inputs if stage == "graph" else r.schedule_inputs
        if stage == "graph":
            pairs = list(r.schedule.targets.items())
        else:
            pairs = [(n, n) for n in r.roots]
        return inputs, [_value_of(r, user, node) for user, node in pairs]
    run = capture.kernels[int(name[6:])]
    if run.kernel.ast is None or run.inputs is None:
        return None, None
    return run.inputs, [from_offset(run.output, run.kernel.target.dtype, run.kernel, 0)] if run.output is not None else []


def _value_of(r, user, node) -> np.ndarray:
    """What realize gave for `user` (whose value the scheduled `node` holds): the copy of the
    kernel output taken right after that kernel ran, so later in-place writes do not show."""
    for run in r.kernels:
        if run.kernel.target is node and run.output is not None:
            data = run.output
            break
    else:  # nothing computed it: a buffer, perhaps through a reshape
        leaves = [n for n in buffer_leaves(r.roots)]
        data = r.schedule_inputs[leaves.index(base_of(node))] if base_of(node) in leaves else None
        if data is None:
            return np.zeros(0, user.dtype.np)
    flat = np.asarray(data).reshape(-1)
    return flat[: user.size].reshape(user.shape) if flat.size >= user.size else flat


def write_units(units: list[Unit], directory: str | None) -> None:
    if directory is None:
        for unit in units:
            sys.stdout.write(unit.text)
        return
    os.makedirs(directory, exist_ok=True)
    for unit in units:
        suffix = ".c" if unit.level == "source" else ".lgir"
        atomic_write(os.path.join(directory, unit.name + suffix), unit.text, durable=False)
    print(f"lazygrad-ir: wrote {len(units)} file(s) to {directory}", file=sys.stderr)


def main(args) -> int:
    if args.stage not in LEVELS:
        print(f"lazygrad-ir dump: unknown stage {args.stage!r}; valid stages: {', '.join(LEVELS)}",
              file=sys.stderr)
        return 2
    capture = run_script(args.script, args.script_args, snapshot=bool(args.save_data), device=args.device)
    try:
        units = stage_units(capture, args.stage, args.graph, args.kernel, args.device)
    except SelectionError as e:
        print(f"lazygrad-ir dump: {e}", file=sys.stderr)
        return 2
    write_units(units, args.output_dir)
    if args.save_data:
        save_data(capture, units, args.stage, args.save_data)
    return 1 if capture.error is not None else 0
