"""``python -m refkmeans``: the same as the ``refkmeans`` command."""

from .cli.launch import run

if __name__ == "__main__":
    run()
