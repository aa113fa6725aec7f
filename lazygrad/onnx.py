"""torch.onnx has no lazygrad counterpart yet: importing it says so, instead of failing on a
name of ours that the user never wrote."""
raise ModuleNotFoundError(
    "lazygrad has no ONNX export (torch.onnx) yet. To look at what a model compiles to, use the "
    "lazygrad-ir tool (docs/debugging.md); to keep its weights, lg.save(model.state_dict(), path) "
    "writes safetensors, which other frameworks read.", name="lazygrad.onnx")
