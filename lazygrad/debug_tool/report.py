"""`lazygrad-ir report SCRIPT.py -o report.html`: everything about a run on one page.

The page is self-contained (inline CSS, inline SVG; no scripts, no network): the schedule
picture (SVG when graphviz is installed, else its DOT text), the schedule table, the
profile, and for every kernel an anchored section `#kernel-N` with its Kernel IR, Loop IR,
source and timing. A sidebar links to every kernel.
"""
from __future__ import annotations

import argparse
import html
import os
import sys

import networkx as nx

from lazygrad.codegen.loop_text import print_loop_ir
from lazygrad.debug_tool.capture import Capture, KernelRun, run_script
from lazygrad.debug_tool.dot import have_dot, render, to_dot
from lazygrad.debug_tool.draw import add_schedule
from lazygrad.debug_tool.dump import add_script_args
from lazygrad.debug_tool.profile import table
from lazygrad.debug_tool.sources import source_line
from lazygrad.ir.printer import print_graph
from lazygrad.runtime.disk_cache import atomic_write

CSS = """
body { font-family: system-ui, sans-serif; margin: 0; display: flex; color: #222; }
nav { width: 15rem; flex: none; height: 100vh; overflow: auto; position: sticky; top: 0;
      background: #f3f5f8; border-right: 1px solid #d8dde5; padding: 1rem; box-sizing: border-box; }
nav a { display: block; font-family: monospace; font-size: 0.85rem; padding: 0.1rem 0; color: #24509a; }
main { padding: 1rem 2rem; min-width: 0; flex: 1; }
pre { background: #f7f7f9; border: 1px solid #e1e4e8; padding: 0.6rem; overflow: auto; font-size: 0.8rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
td, th { border: 1px solid #d8dde5; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-family: monospace; }
section.kernel { border-top: 2px solid #4a6fa5; margin-top: 2rem; }
.error { background: #fde8e8; border: 1px solid #e0a0a0; padding: 0.5rem; }
.figure { overflow: auto; border: 1px solid #e1e4e8; }
"""


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="one self-contained HTML page about a run",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", default="report.html", help="the HTML file to write")
    add_script_args(p)
    p.set_defaults(func=main)


def esc(text) -> str:
    return html.escape(str(text))


MAX_PICTURED = 8  # realizes drawn; a training loop realizes thousands of times


def _svg_or_dot(capture: Capture) -> str:
    if not capture.realizes:
        return "<p>nothing was realized</p>"
    shown = capture.realizes[:MAX_PICTURED]
    dot_text = to_dot(_graph_of(shown))
    note = (f"<p>the first {MAX_PICTURED} of {len(capture.realizes)} realizes; "
            "<code>lazygrad-ir draw --graph N</code> draws any one</p>") if len(shown) < len(capture.realizes) else ""
    return note + _figure(dot_text)


def _graph_of(realizes):
    g = nx.DiGraph()
    for r in realizes:
        add_schedule(g, r)
    return g


def _figure(dot_text: str) -> str:
    if have_dot():
        try:
            svg = render(dot_text, "svg").decode()
            return f'<div class="figure">{svg[svg.find("<svg"):]}</div>'
        except RuntimeError as e:
            return f'<p class="error">{esc(e)}</p><pre>{esc(dot_text)}</pre>'
    return ("<p>graphviz <code>dot</code> is not installed; the picture as DOT text "
            "(paste it into any graphviz viewer):</p>" f"<pre>{esc(dot_text)}</pre>")


def _rate(amount: float, seconds: float) -> str:
    return f"{amount / seconds / 1e9:.2f}" if seconds > 0 else "-"


def _schedule_table(capture: Capture, script: str) -> str:
    rows = [("<table><tr><th>#</th><th>kernel</th><th>computes</th><th>own buffer because</th>"
             "<th>ms</th><th>GFLOP/s</th><th>GB/s</th></tr>")]
    for r in capture.realizes:
        rows.append(f'<tr><th colspan="7" id="graph-{r.index}">graph {r.index}, realized at '
                    f'{esc(r.where)}: {len(r.kernels)} kernel(s)</th></tr>')
        for k in r.kernels:
            t = k.kernel.target
            line = source_line(t.loc, script)
            rows.append(f'<tr><td class="num">{k.index}</td><td><a href="#kernel-{k.index}">{esc(k.name)}</a></td>'
                        f"<td>{esc(t.op.value)} at {esc(t.loc)}<br><code>{esc(line)}</code></td>"
                        f"<td>{esc(r.schedule.why.get(t, ''))}</td><td class=\"num\">{k.seconds * 1e3:.3f}</td>"
                        f'<td class="num">{_rate(k.flops, k.seconds)}</td><td class="num">{_rate(k.nbytes, k.seconds)}</td></tr>')
    rows.append("</table>")
    return "\n".join(rows)


def _kernel_section(k: KernelRun, script: str) -> str:
    t = k.kernel.target
    parts = [f'<section class="kernel" id="kernel-{k.index}"><h3>kernel {k.index}: {esc(k.name)}</h3>',
             (f"<p>graph {k.graph}; computes {esc(t.op.value)} {esc(t.dtype.name)}{esc(list(t.shape))} "
              f"at {esc(t.loc)} <code>{esc(source_line(t.loc, script))}</code>; device {esc(t.device)}; "
              f"{k.seconds * 1e3:.3f} ms, {k.flops} FLOPs ({_rate(k.flops, k.seconds)} GFLOP/s), "
              f"{k.nbytes} bytes ({_rate(k.nbytes, k.seconds)} GB/s)</p>")]
    if k.kernel.ast is None:
        parts.append("<p>a copy between devices: no code</p></section>")
        return "\n".join(parts)
    loop = k.kernel.loop_ir()
    for title, text in (("Kernel IR", print_graph([k.kernel.ast])), ("Loop IR", print_loop_ir(loop)),
                        (f"source ({t.device})", k.kernel.source())):
        parts.append(f"<h4>{esc(title)}</h4><pre>{esc(text)}</pre>")
    parts.append("</section>")
    return "\n".join(parts)


def build_report(capture: Capture, script: str) -> str:
    name = os.path.basename(script)
    nav = [(f'<nav><b>{esc(name)}</b><a href="#graph">graph</a><a href="#schedule">schedule</a>'
            '<a href="#profile">profile</a><hr>')]
    nav += [f'<a href="#kernel-{k.index}">{k.index} {esc(k.name)}</a>' for k in capture.kernels]
    nav.append("</nav>")
    body = [f"<h1>lazygrad report: {esc(name)}</h1>",
            (f"<p>{len(capture.realizes)} realize(s), {len(capture.kernels)} kernel(s); "
             f"the script ran {capture.wall * 1e3:.1f} ms</p>")]
    if capture.error is not None:
        body.append(f'<p class="error">the script failed: {esc(type(capture.error).__name__)}: '
                    f"{esc(capture.error)} (what ran before the error is shown)</p>")
    body += ['<h2 id="graph">graph</h2>', _svg_or_dot(capture),
             '<h2 id="schedule">schedule</h2>', _schedule_table(capture, script),
             '<h2 id="profile">profile</h2>', f"<pre>{esc(table(capture))}</pre>",
             '<h2 id="kernels">kernels</h2>']
    body += [_kernel_section(k, script) for k in capture.kernels]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>lazygrad report: {esc(name)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(nav) + "\n<main>\n" + "\n".join(body) + "\n</main></body></html>\n")


def main(args) -> int:
    capture = run_script(args.script, args.script_args, device=args.device)
    page = build_report(capture, args.script)
    atomic_write(args.output, page, durable=False)
    print(f"lazygrad-ir: wrote {args.output}", file=sys.stderr)
    return 1 if capture.error is not None else 0
