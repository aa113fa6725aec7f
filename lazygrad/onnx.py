"""torch.onnx: importable, as programs import it beside torch whether or not they export (a
language model's script does, and exports only when asked); exporting is not there yet, and
says so with NotImplementedError naming the call, as soon as it is asked for."""
from __future__ import annotations

_INSTEAD = ("lazygrad has no ONNX export yet; lg.save(model.state_dict(), path) writes safetensors, "
            "which other frameworks read, and the lazygrad-ir tool (docs/debugging.md) shows what a "
            "model compiles to")


def export(model, args=(), f=None, *rest, **options):
    """torch.onnx.export: not available in lazygrad (raises NotImplementedError)."""
    raise NotImplementedError(f"torch.onnx.export: {_INSTEAD}")


def _export(model, args=(), f=None, *rest, **options):
    """torch.onnx._export (the older private entry point scripts still call): as export."""
    raise NotImplementedError(f"torch.onnx._export: {_INSTEAD}")


def dynamo_export(model, *args, **options):
    """torch.onnx.dynamo_export: as export."""
    raise NotImplementedError(f"torch.onnx.dynamo_export: {_INSTEAD}")


def is_in_onnx_export() -> bool:
    """torch.onnx.is_in_onnx_export: False, always (no export ever runs here); models branch on it."""
    return False
