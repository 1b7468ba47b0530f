"""``python -m refkmeans``: the same as the ``refkmeans`` command."""

from .cli.main import run

if __name__ == "__main__":
    run()
