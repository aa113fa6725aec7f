"""Index math: simplification must never change a value. Checked by brute force."""
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from lazygrad.ir import symbolic as sym


def _tdiv(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _eval(e, env):
    from lazygrad.ir.ops import Op
    if e.op is Op.CONST:
        return e.arg
    if e.op is Op.VAR:
        return env[sym.var_name(e)]
    a = [_eval(s, env) for s in e.srcs]
    return {Op.ADD: lambda: a[0] + a[1], Op.MUL: lambda: a[0] * a[1],
            Op.IDIV: lambda: _tdiv(a[0], a[1]), Op.MOD: lambda: a[0] - _tdiv(a[0], a[1]) * a[1],
            Op.CMPLT: lambda: a[0] < a[1], Op.AND: lambda: a[0] and a[1],
            Op.CMPNE: lambda: a[0] != a[1]}[e.op]()


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_simplified_index_math_keeps_its_value(data):
    names = ["a", "b"]
    ranges = {n: data.draw(st.integers(1, 6)) for n in names}
    variables = {n: sym.var(n, 0, r - 1) for n, r in ranges.items()}
    expr = sym.const(data.draw(st.integers(0, 3)))
    env_const = expr.arg
    ops = []
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["add_var", "mul", "div", "mod", "add_const"]))
        arg = data.draw(st.sampled_from(names)) if kind == "add_var" else data.draw(st.integers(1, 7))
        coeff = data.draw(st.integers(1, 5))
        ops.append((kind, arg, coeff))
        if kind == "add_var":
            expr = expr + variables[arg] * coeff
        elif kind == "mul":
            expr = expr * arg
        elif kind == "div":
            expr = expr // arg
        elif kind == "mod":
            expr = expr % arg
        else:
            expr = expr + arg
    for values in itertools.product(*(range(ranges[n]) for n in names)):
        env = dict(zip(names, values))
        ref = env_const
        for kind, arg, coeff in ops:
            if kind == "add_var":
                ref += env[arg] * coeff
            elif kind == "mul":
                ref *= arg
            elif kind == "div":
                ref = _tdiv(ref, arg)
            elif kind == "mod":
                ref = ref - _tdiv(ref, arg) * arg
            else:
                ref += arg
        got = _eval(expr, env)
        assert got == ref, f"{expr} at {env}: {got} != {ref}"
        assert expr.vmin <= got <= expr.vmax


def test_division_of_a_split_index_disappears():
    i = sym.var("i", 0, 3)
    j = sym.var("j", 0, 7)
    flat = i * 8 + j
    assert str(flat // 8) == "i"
    assert str(flat % 8) == "j"
    assert str((flat // 2) // 4) == "i"


def test_comparisons_fold_from_ranges():
    i = sym.var("i", 0, 3)
    assert sym.lt(i, sym.const(4)) is sym.TRUE
    assert sym.lt(i, sym.const(0)) is sym.FALSE
    assert str(sym.lt(i, sym.const(2))) == "i < 2"


def test_add_const_is_add_on_the_forms_add_and_mul_build():
    """The lowering's fast path for lane shifts must build the very node add builds."""
    import random
    rnd = random.Random(0)
    variables = [sym.var(f"i{k}", 0, 31) for k in range(4)]
    for _ in range(500):
        e = sym.const(rnd.randint(-5, 5))
        for _ in range(rnd.randint(0, 4)):
            if rnd.random() < 0.7:
                e = sym.add(e, sym.mul(rnd.choice(variables), sym.const(rnd.randint(-3, 3))))
            else:
                e = sym.add(e, sym.const(rnd.randint(-9, 9)))
        c = rnd.randint(-20, 20)
        assert sym.add_const(e, c) is sym.add(e, sym.const(c))


def test_step_along_is_a_variables_coefficient_in_a_linear_index():
    i, r = sym.var("i0", 0, 63), sym.var("r0", 0, 1023)
    index = sym.add(sym.mul(i, sym.const(4096)), sym.add(r, sym.const(8)))
    assert sym.step_along(index, "r0") == 1 and sym.step_along(index, "i0") == 4096
    assert sym.step_along(index, "j0") == 0  # not in the index: it stays put
    assert sym.step_along(sym.idiv(r, sym.const(4)), "r0") is None
    assert sym.step_along(sym.mul(r, sym.const(2)), "r0") == 2


def test_an_aligned_base_plus_a_small_constant_keeps_the_constant_outside_mod_and_div():
    """(16x + 16y + l) % 32 is (16x + 16y) % 32 + l for l < 16, and the quotient the base's:
    a tile's lanes l = 0..15 then read consecutive elements. Brute force over every case."""
    for g, c in ((2, 4), (4, 8), (16, 32), (16, 48), (8, 8), (3, 9)):
        x, y = sym.var("x", 0, 7), sym.var("y", 0, 3)
        for k in range(3 * c):
            for coeffs in ((g, 0), (g, 2 * g), (3 * g, g)):
                e = x * coeffs[0] + y * coeffs[1] + k
                m, d = e % c, e // c
                for vx in range(8):
                    for vy in range(4):
                        env = {"x": vx, "y": vy}
                        v = coeffs[0] * vx + coeffs[1] * vy + k
                        assert (_eval(m, env), _eval(d, env)) == (v % c, v // c), (e, c, env)
                        assert m.vmin <= v % c <= m.vmax and d.vmin <= v // c <= d.vmax
    x = sym.var("x", 0, 7)
    lanes = [(x * 16 + lane) % 32 for lane in range(16)]
    assert [str(m) for m in lanes[1:3]] == ["x*16%32 + 1", "x*16%32 + 2"]
    assert {str((x * 16 + lane) // 32) for lane in range(16)} == {"x/2"}
