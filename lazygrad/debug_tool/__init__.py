"""The `lazygrad-ir` command: dump, draw, profile and re-run any stage of the IR."""
