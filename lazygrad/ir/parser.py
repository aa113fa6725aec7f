"""Text -> Graph IR / Kernel IR: the inverse of printer.print_graph.

Every line is rebuilt with `make(...)`, so hash-consing gives back the very same Node objects
while the printed graph is alive: `parse_graph(print_graph(roots)) == roots`, element by
element, as identity. Comments (the user's source lines) are ignored: the location is not
part of a node's identity. A node parsed from text alone gets `<ir>:LINE` as its location.

Errors are IRParseError naming the line and column: lark's syntax errors are rewritten into
"expected one of ... but found ..." with the line and a caret, and semantic errors (an
unknown %name, op or dtype, a shape that make() rejects) carry the line of the node.
"""
from __future__ import annotations

import ast
import os

import lark

from lazygrad import dtypes
from lazygrad.config import memo
from lazygrad.errors import IRParseError, LazygradError
from lazygrad.ir.node import Node, make
from lazygrad.ir.ops import BINARY, MOVEMENT, REDUCE, UNARY, Op
from lazygrad.ir.ops import BY_NAME as OPS
from lazygrad.ir.printer import ARG_NAMES, type_text
from lazygrad.ir.view import View, ViewStack

# readable names for lark's terminals in "expected ..." messages
TERMINAL_WORDS = {"SSA": "a %name", "NAME": "a name", "NUMBER": "a number", "PARAM": "a parameter (p0)",
                  "STRING": "a string", "_NL": "end of line", "$END": "end of input",
                  "UPDATE": "'+=' 'max='"}
# binary operators of Loop IR expressions: listed one by one they would drown the message
# how many operands each op takes (others: whatever make() accepts)
ARITY = {**{op: 1 for op in UNARY | REDUCE | MOVEMENT}, **{op: 2 for op in BINARY}, Op.WHERE: 3}
OPERATORS = frozenset({"'+'", "'*'", "'/'", "'%'", "'<'", "'!='", "'&'", "'^'", "'|'", "'<<'", "'>>'"})


@memo("ir-grammars", "the LALR parser of a .lark grammar, by its path", 8)
def grammar(path: str) -> lark.Lark:
    """A LALR parser for a .lark file next to the code (built once; LALR gives exact
    positions and the set of expected tokens for errors)."""
    with open(path) as f:
        return lark.Lark(f.read(), parser="lalr", lexer="contextual", maybe_placeholders=True)


def source_line(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    return f"\n    {lines[line - 1]}\n    {' ' * max(0, column - 1)}^"


def parse_error(message: str, text: str, line: int, column: int = 1) -> IRParseError:
    return IRParseError(f"line {line}, column {column}: {message}{source_line(text, line, column)}",
                        line, column)


def _expected(parser: lark.Lark, names) -> list[str]:
    words = []
    for name in sorted(names):
        if name in TERMINAL_WORDS:
            words.append(TERMINAL_WORDS[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            words.append(name)
            continue
        words.append(repr(pattern.value) if pattern.type == "str" else name.lower())
    operators = [w for w in words if w in OPERATORS]
    if len(operators) > 2:
        words = [w for w in words if w not in OPERATORS] + ["an operator"]
    return list(dict.fromkeys(words))


def syntax_error(e: lark.exceptions.UnexpectedInput, parser: lark.Lark, text: str) -> IRParseError:
    """lark's exception -> 'line L, column C: expected one of X Y but found Z' and a caret."""
    line, column = getattr(e, "line", 0), getattr(e, "column", 0)
    if isinstance(e, lark.exceptions.UnexpectedToken):
        found = "end of input" if e.token.type == "$END" else repr(str(e.token))
        if e.token.type == "_NL":
            found = "end of line"
        expected = e.expected
    elif isinstance(e, lark.exceptions.UnexpectedCharacters):
        found = repr(text[e.pos_in_stream]) if e.pos_in_stream < len(text) else "end of input"
        expected = e.allowed or set()
    else:  # UnexpectedEOF
        found, expected = "end of input", getattr(e, "expected", set())
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    if line <= 0:
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    words = _expected(parser, expected)
    what = words[0] if len(words) == 1 else "one of " + " ".join(words)
    return parse_error(f"expected {what} but found {found}", text, line, column)


def parse_with(grammar_path: str, text: str) -> lark.Tree:
    parser = grammar(grammar_path)
    try:
        return parser.parse(text)
    except lark.exceptions.UnexpectedInput as e:
        raise syntax_error(e, parser, text) from None


# ---- values -----------------------------------------------------------------------------

def number(token: str):
    """The int or float a NUMBER token spells (floats are written with '.', 'e', inf or nan)."""
    if any(c in token for c in ".eEn"):
        return float(token)
    return int(token)


def value(tree, text: str):
    """An argument value from its parse tree: literals, tuples, lists, view(...) calls."""
    if isinstance(tree, lark.Token):
        return number(tree) if tree.type == "NUMBER" else str(tree)
    kind = tree.data
    if kind == "literal":
        tok = tree.children[0]
        return number(tok) if tok.type == "NUMBER" else ast.literal_eval(tok)
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "none":
        return None
    if kind == "name":
        return str(tree.children[0])
    if kind == "tuple":
        return tuple(value(c, text) for c in tree.children if c is not None)
    if kind == "list":
        return [value(c, text) for c in tree.children if c is not None]
    if kind == "call":
        name, *kwargs = tree.children
        args = {str(k.children[0]): value(k.children[1], text) for k in kwargs if k is not None}
        if name != "view":
            raise parse_error(f"unknown call {str(name)!r} (only view(...) is known)", text,
                              name.line, name.column)
        try:
            return View(**args)
        except TypeError as e:
            raise parse_error(f"bad view: {e}", text, name.line, name.column) from None
    raise AssertionError(kind)


def view_stack(v, text: str, line: int) -> ViewStack:
    views = [v] if isinstance(v, View) else v
    if not isinstance(views, list) or not views or not all(isinstance(x, View) for x in views):
        raise parse_error("expected view(...) or a list [view(...), ...]", text, line)
    return ViewStack(tuple(views))


# ---- nodes --------------------------------------------------------------------------------

GRAMMAR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "graph.lark")


class _GraphBuilder:
    def __init__(self, text: str):
        self.text = text
        self.nodes: dict[str, Node] = {}
        self.last: Node | None = None

    def error(self, message: str, token) -> IRParseError:
        return parse_error(message, self.text, token.line, token.column)

    def lookup(self, token) -> Node:
        if str(token) not in self.nodes:
            raise self.error(f"{token} is used before it is defined", token)
        return self.nodes[str(token)]

    def node(self, tree: lark.Tree) -> None:
        ssa, type_tree, op_token, operands, positional, *attrs = tree.children
        if str(ssa) in self.nodes:
            raise self.error(f"{ssa} is defined twice", ssa)
        dtype_token, *dims = type_tree.children
        dtype = dtypes.BY_NAME.get(str(dtype_token))
        if dtype is None or dtype.name != str(dtype_token):
            raise self.error(f"unknown dtype {str(dtype_token)!r}", dtype_token)
        shape = tuple(self.integer(d) for d in dims if d is not None)
        if any(d < 0 for d in shape):
            raise self.error(f"negative dimension in {dtype.name}{list(shape)}", dtype_token)
        op = OPS.get(str(op_token))
        if op is None or op is Op.VAR:
            raise self.error(f"unknown op {str(op_token)!r}", op_token)
        if op is Op.HOST:  # its step is an action (an MPI call), which text cannot carry
            raise self.error("a host step (a collective) prints but does not parse back: its MPI call "
                             "is not text; dump the graphs before and after it instead", op_token)
        srcs = tuple(self.lookup(t) for t in operands.children) if operands is not None else ()
        keywords = {}
        for a in attrs:
            key, val = a.children
            if str(key) in keywords:
                raise self.error(f"{key}= is given twice", key)
            keywords[str(key)] = (key, value(val, self.text))
        arg, device = self.argument(op, op_token, positional, keywords)
        if len(srcs) != ARITY.get(op, len(srcs)):
            raise self.error(f"{op.value} takes {ARITY[op]} operand(s), found {len(srcs)}", op_token)
        low, high = dtypes.value_range(dtype)
        if op is Op.CONST and not dtype.is_float and isinstance(arg, (int, float)) and not low <= arg <= high:
            raise self.error(f"{arg} does not fit {dtype.name} ({low} to {high})", op_token)
        try:
            node = make(op, srcs, arg, dtype, shape, device, f"<ir>:{ssa.line}")
        except (LazygradError, TypeError, ValueError) as e:
            raise self.error(str(e), op_token) from None
        if node.dtype != dtype or node.shape != shape:
            raise self.error(f"{ssa} is declared {dtype.name}{list(shape)} but {op.value} gives "
                             f"{type_text(node)}", ssa)
        self.nodes[str(ssa)] = self.last = node

    def integer(self, token) -> int:
        v = number(token)
        if not isinstance(v, int):
            raise self.error(f"expected an integer, found {str(token)!r}", token)
        return v

    def argument(self, op: Op, op_token, positional, keywords: dict):
        """(arg, device) of an op from its positional argument and key=value pairs."""
        def take(key: str, default=None):
            return keywords.pop(key, (None, default))[1]
        device = take("device")
        if op is Op.CONST:
            if positional is None or isinstance(positional, lark.Token) and positional.type == "PARAM":
                raise self.error("const needs a value (const 2.0)", op_token)
            arg = value(positional, self.text)
        elif op in (Op.LOAD, Op.STORE):
            if not (isinstance(positional, lark.Token) and positional.type == "PARAM"):
                raise self.error(f"{op.value} needs a parameter (p0, p1, ...)", op_token)
            if "view" not in keywords:
                raise self.error(f"{op.value} needs view=...", op_token)
            arg = (int(positional[1:]), view_stack(take("view"), self.text, op_token.line))
        elif positional is not None:
            raise self.error(f"{op.value} takes no positional argument", op_token)
        elif op in ARG_NAMES:
            key = ARG_NAMES[op]
            if key not in keywords:
                raise self.error(f"{op.value} needs {key}=...", op_token)
            arg = take(key)
            if key == "view":
                arg = view_stack(arg, self.text, op_token.line)
        else:
            arg = take("arg", device if op is Op.COPY else None)
        if keywords:
            key_token = next(iter(keywords.values()))[0]
            raise self.error(f"{op.value} takes no argument {key_token!s}=", key_token)
        if isinstance(arg, list):
            raise self.error("lists are only allowed as view stacks", op_token)
        return arg, device

    def roots(self, tree: lark.Tree) -> list[Node]:
        return [self.lookup(t) for t in tree.children if t is not None]


def _lines(tree: lark.Tree) -> list[lark.Tree]:
    """The node and return lines in order, unrolling the left-recursive `lines` rule."""
    lines, last = [], tree.children[1:]
    block = tree.children[0]
    while block is not None and block.children:
        block, line = block.children
        lines.append(line)
    lines.reverse()
    return lines + [t for t in last if t is not None]


def parse_graph(text: str) -> list[Node]:
    """The roots of the graph a text describes: the `return` line's nodes, or the last node."""
    tree = parse_with(GRAMMAR, text)
    builder = _GraphBuilder(text)
    roots = None
    for line in _lines(tree):
        if line.data == "node":
            if roots is not None:
                raise builder.error("nothing may follow the return line", line.children[0])
            builder.node(line)
        else:
            roots = builder.roots(line)
    if roots is None:
        roots = [] if builder.last is None else [builder.last]
    return roots
