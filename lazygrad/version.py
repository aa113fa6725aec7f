"""torch.version's names for lazygrad: its own version, and no CUDA, HIP or XPU build
(`torch.version.cuda is None` is how programs tell a CPU build)."""
__version__ = "0.1.0"  # (pyproject.toml's; tests/test_module_paths.py holds them equal)
cuda = None
hip = None
xpu = None
debug = False
git_version = "unknown"
