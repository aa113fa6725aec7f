import lazygrad as lg


class TinygradOnly(Exception):
    """Raised by the shim where a case uses tinygrad API with no torch counterpart: it does not apply."""


class dtypes:
    bool = lg.bool
    int8, int16, int32, int64 = lg.int8, lg.int16, lg.int32, lg.int64
    uint8, uint16, uint32, uint64 = lg.uint8, lg.uint16, lg.uint32, lg.uint64
    float16 = half = lg.float16
    bfloat16 = lg.bfloat16
    float32 = float = lg.float32
    float64 = double = lg.float64
    int = lg.int32
    default_float = lg.float32
    default_int = lg.int32
    all = (
        lg.bool,
        lg.int8,
        lg.int16,
        lg.int32,
        lg.int64,
        lg.uint8,
        lg.uint16,
        lg.uint32,
        lg.uint64,
        lg.float16,
        lg.bfloat16,
        lg.float32,
        lg.float64,
    )


_NAMES = {
    "int": lg.int32,
    "uint": lg.uint32,
    "float": lg.float32,
    "half": lg.float16,
    "double": lg.float64,
    "long": lg.int64,
}


def to_dtype(d):
    if isinstance(d, str):
        return _NAMES.get(d) or getattr(lg, d)
    return d
