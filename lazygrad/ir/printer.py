"""Graph IR and Kernel IR -> text, one op a line (the jaxpr style):

    %0 : float32[4,3] = buffer id=0 device=c          # model.py:4
    %1 : float32[4,3,1] = reshape %0 shape=(4,3,1)    # model.py:5
    %2 : float32[4,1] = sum %1 axes=(1,)
    return %2, %1

Names are SSA (`%N`, sources first); every line shows the result's dtype and shape so a
reader never has to infer them. Each op's argument has one keyword (`shape=`, `axes=`,
`view=`...), written with tuples so it reads like Python. `device=` appears only where it is
not the device of the first operand (sources, copies). The user's source line is a trailing
comment. lazygrad/ir/graph.lark reads this text back (parser.py); keep the two in step.
"""
from __future__ import annotations

import re

from lazygrad.ir.node import Node, toposort
from lazygrad.ir.ops import Op
from lazygrad.ir.view import View, ViewStack

# the keyword each op's argument is printed under; CONST, LOAD, STORE and COPY are special
ARG_NAMES = {Op.RESHAPE: "shape", Op.EXPAND: "shape", Op.PERMUTE: "order", Op.PAD: "pads",
             Op.SHRINK: "bounds", Op.FLIP: "axes", Op.SUM: "axes", Op.REDUCE_MAX: "axes",
             Op.BUFFER: "id", Op.INDEX: "view", Op.VALID: "view"}
# words the grammar reserves; a string argument spelled like one of them is quoted
KEYWORDS = frozenset({"true", "false", "None", "inf", "nan", "return"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
COMMENT_COLUMN = 48


def format_value(v) -> str:
    """An argument as text: bools, ints, repr-exact floats, names, tuples, views."""
    if hasattr(v, "item") and not isinstance(v, (tuple, View, ViewStack)):
        v = v.item()  # a numpy scalar
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)  # shortest text that reads back as the same float: nan, inf, -0.0
    if isinstance(v, str):
        return v if _IDENTIFIER.match(v) and v not in KEYWORDS else repr(v)
    if isinstance(v, tuple):
        inner = ",".join(format_value(x) for x in v)
        return f"({inner},)" if len(v) == 1 else f"({inner})"
    if isinstance(v, View):
        return (f"view(shape={format_value(v.shape)}, strides={format_value(v.strides)}, "
                f"offset={format_value(v.offset)}, mask={format_value(v.mask)})")
    if isinstance(v, ViewStack):
        if len(v.views) == 1:
            return format_value(v.views[0])
        return "[" + ", ".join(format_value(x) for x in v.views) + "]"
    raise TypeError(f"cannot print an IR argument of type {type(v).__name__}: {v!r}")


def type_text(node: Node) -> str:
    return f"{node.dtype.name}[{','.join(str(d) for d in node.shape)}]"


def _operation(node: Node, names: dict[Node, str]) -> str:
    """`op operands positional key=value...` for one node."""
    parts = [node.op.value]
    if node.srcs:
        parts.append(", ".join(names[s] for s in node.srcs))
    op, arg = node.op, node.arg
    if op is Op.CONST:
        parts.append(format_value(arg))
    elif op in (Op.LOAD, Op.STORE):
        param, views = arg
        parts.append(f"p{param} view={format_value(views)}")
    elif op is Op.HOST:  # what the step does; it does not parse back into a runnable step
        parts.append(f"step={format_value(arg.name)}")
    elif op in ARG_NAMES:
        parts.append(f"{ARG_NAMES[op]}={format_value(arg)}")
    elif arg is not None and not (op is Op.COPY and arg == node.device):
        parts.append(f"arg={format_value(arg)}")
    if not node.srcs or node.device != node.srcs[0].device or op in (Op.COPY, Op.HOST):
        parts.append(f"device={format_value(node.device)}")
    return " ".join(parts)


def print_graph(roots: list[Node], locs: bool = True) -> str:
    """The text of every node reachable from roots. `locs=False` drops the source-line
    comments (for comparing texts of graphs built in different places)."""
    roots = list(roots)
    names: dict[Node, str] = {}
    lines: list[str] = []
    for node in toposort(roots):
        names[node] = f"%{len(names)}"
        line = f"{names[node]} : {type_text(node)} = {_operation(node, names)}"
        if locs and node.loc:
            loc = node.loc.replace("\n", " ")
            line = f"{line.ljust(COMMENT_COLUMN)}  # {loc}"
        lines.append(line)
    if len(roots) != 1:  # one root is always the last line (toposort puts it there)
        lines.append(" ".join(["return", ", ".join(names[r] for r in roots)]).rstrip())
    return "\n".join(lines) + "\n"
