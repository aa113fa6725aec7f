"""nn.utils.stateless.functional_call (also torch.func.functional_call): call a module with
some of its parameters and buffers replaced by given tensors, for that call only (meta-learning,
ensembling, per-sample gradients). The module's own tensors are put back afterwards, also when
the call raises."""
from __future__ import annotations


def _merged(dicts) -> dict:
    if isinstance(dicts, dict):
        return dict(dicts)
    merged: dict = {}
    for d in dicts:
        for name, value in d.items():
            if name in merged:
                raise ValueError(f"{name} appeared in multiple dictionaries; behavior of functional call is "
                                 "ambiguous")
            merged[name] = value
    return merged


def _tables(module) -> dict:
    """Every parameter and buffer name (tied ones under each of their names) -> (owner, table)."""
    found = {}
    for prefix, m in module.named_modules(remove_duplicate=False):
        for table in (m._parameters, m._buffers):
            for name in table:
                found[f"{prefix}.{name}" if prefix else name] = (m, table, name)
    return found


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    given = _merged(parameter_and_buffer_dicts)
    tables = _tables(module)
    if strict:
        missing = sorted(set(tables) - set(given))
        unexpected = sorted(set(given) - set(tables))
        if missing or unexpected:
            parts = ([f"Unexpected key(s): {', '.join(map(repr, unexpected))}."] if unexpected else []) + \
                    ([f"Missing key(s): {', '.join(map(repr, missing))}."] if missing else [])
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(parts))
    if tie_weights:  # a tensor held under several names takes the value given for any of them
        by_tensor = {id(tables[n][1][tables[n][2]]): v for n, v in given.items() if n in tables}
        for name, (_, table, key) in tables.items():
            if name not in given and table[key] is not None and id(table[key]) in by_tensor:
                given[name] = by_tensor[id(table[key])]
    saved = []
    try:
        for name, value in given.items():
            if name in tables:
                _, table, key = tables[name]
                saved.append((table, key, table[key]))
                table[key] = value
            else:  # a plain attribute path, as torch allows
                owner_path, _, attr = name.rpartition(".")
                owner = module.get_submodule(owner_path)
                saved.append((owner, attr, getattr(owner, attr)))
                object.__setattr__(owner, attr, value)
        args = args if isinstance(args, tuple) else () if args is None else (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for holder, key, old in reversed(saved):
            if isinstance(holder, dict):
                holder[key] = old
            else:
                object.__setattr__(holder, key, old)
