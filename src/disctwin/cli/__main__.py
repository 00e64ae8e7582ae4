"""``python -m disctwin.cli``: the ``disctwin`` command."""

from disctwin.cli import main

main()
