"""`python -m nntui`: the same as the `nntui` command (textual-serve runs the app this way)."""

from nntui.cli import run

if __name__ == "__main__":
    run()
