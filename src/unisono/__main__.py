"""``python -m unisono``: the same as the ``unisono`` command."""

from unisono.cli import app

app(prog_name="unisono")
