"""The named passes `lazygrad-ir opt` runs, as a table: name -> (takes, gives, function, help).

A pass maps one unit's IR to one or more units (fuse turns a graph into a kernel per
fusion group). Levels: graph (Graph IR), kernel (Kernel IR), loop (Loop IR). The verifier
of the level a pass gives runs after it, so a broken pass is caught where it happened.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lazygrad.codegen.loop_verify import verify_loop
from lazygrad.codegen.lower import lower
from lazygrad.codegen.pipeline import LOOP_PASSES
from lazygrad.errors import IRVerifyError
from lazygrad.ir.simplify import simplify
from lazygrad.ir.verify import verify_graph
from lazygrad.schedule.kernel import kernel_name
from lazygrad.schedule.schedule import create_schedule


@dataclass
class IRUnit:
    level: str  # graph | kernel | loop
    name: str
    ir: object  # list[Node] for graph and kernel, LoopKernel for loop
    note: str = ""


@dataclass(frozen=True)
class Pass:
    name: str
    takes: tuple[str, ...]
    gives: str
    run: Callable[[IRUnit], list[IRUnit]]
    help: str


def _simplify(u: IRUnit) -> list[IRUnit]:
    return [IRUnit(u.level, u.name, simplify(list(u.ir)), u.note)]


def _fuse(u: IRUnit) -> list[IRUnit]:
    schedule = create_schedule(list(u.ir), reuse_realized=False)
    out = []
    for i, k in enumerate(schedule.kernels):
        why = schedule.why.get(k.target, "")
        if k.ast is None:
            continue  # a copy between devices has no IR
        out.append(IRUnit("kernel", f"{u.name}.kernel{i}", [k.ast], f"{k.name}; {why}"))
    return out


def _kernel_name(u: IRUnit) -> str:
    name = u.note.split(";", 1)[0].strip()
    return name if name.replace("_", "").isalnum() and name else kernel_name(u.ir[0])


def _lower(u: IRUnit, upcasts: dict | None = None) -> list[IRUnit]:
    (ast,) = u.ir
    return [IRUnit("loop", u.name, lower(ast, _kernel_name(u), upcasts), u.note)]


PASSES: dict[str, Pass] = {p.name: p for p in [
    Pass("verify", ("graph", "kernel", "loop"), "same", lambda u: [u],
         "check the IR's invariants and change nothing"),
    Pass("simplify", ("graph",), "graph", _simplify,
         "constant folding, algebraic identities, merging adjacent views (ir/simplify.py)"),
    Pass("fuse", ("graph",), "kernel", _fuse,
         "schedule: split the graph into fused kernels, one Kernel IR unit each (schedule/schedule.py)"),
    Pass("lower", ("kernel",), "loop", _lower,
         "Kernel IR -> Loop IR with the default upcasts and loop marks (codegen/lower.py)"),
    Pass("lower-plain", ("kernel",), "loop", lambda u: _lower(u, {}),
         "Kernel IR -> Loop IR without upcasting (one output element per loop iteration)"),
]}
# the engine's Loop IR passes (codegen/pipeline.py), each by its own name
PASSES.update({p.name: Pass(p.name, ("loop",), "loop",
                            lambda u, p=p: [IRUnit(u.level, u.name, p.run(u.ir), u.note)],
                            f"{p.help}; on {', '.join(p.devices)}") for p in LOOP_PASSES})


def verify(u: IRUnit) -> None:
    if u.level == "loop":
        verify_loop(u.ir)
    else:
        verify_graph(list(u.ir))
        if u.level == "kernel" and not all(r.op.value == "store" for r in u.ir):
            raise IRVerifyError(f"{u.name}: Kernel IR must end in stores")


def apply(p: Pass, units: list[IRUnit]) -> list[IRUnit]:
    """Run a pass over every unit; the verifier checks each result."""
    out: list[IRUnit] = []
    for u in units:
        if u.level not in p.takes:
            raise ValueError(f"pass {p.name} takes {' or '.join(p.takes)} IR, but {u.name} is {u.level} IR")
        for result in p.run(u):
            try:
                verify(result)
            except IRVerifyError as e:
                raise IRVerifyError(f"after pass {p.name}: {e}") from None
            out.append(result)
    return out
