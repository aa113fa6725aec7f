"""torch as the reference of table-driven tests, where it is installed."""
import importlib


def installed_torch():
    """torch, or None without it: a table's stated outcomes are checked against torch itself
    where it is installed, and lazygrad is held to them either way."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None
