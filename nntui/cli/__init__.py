"""The `nntui` command, one module a verb. Imports neither textual nor numpy
before it needs them, so `nntui --help` stays instant.

    nntui [--preset NAME|FILE] [--load RUN.npz] [--play]   open the app (main.py)
    nntui presets [--json]                                  list built-in presets
    nntui train NAME|FILE [options]                         train headless
    nntui compare NAME|FILE --vary KEY=V1,V2                race variants
    nntui export NAME|FILE|RUN.npz --to pytorch             a PyTorch script
    nntui gradcheck NAME|FILE [--json]                      check every gradient
    nntui landscape NAME|FILE|RUN.npz [--axes ...]          the loss on a 2-D slice, with the path
    nntui shot NAME|FILE|RUN.npz [--view V] -o OUT.svg|.txt a picture of the app, made headless
    nntui serve [--host H] [--port P] [--preset NAME|FILE]   the app in a web browser
    nntui lessons [--json]                                  the lessons, with progress

Exit status: 0 done; 1 gradcheck found an error above tolerance; 2 bad usage
or a bad preset or runfile (one line on stderr, no traceback), or a file a
verb would write that is already there (its --force replaces it); 3 training
diverged.
"""

from nntui.cli.main import main, run
from nntui.cli import compare, export, gradcheck, landscape, lessons, presets, serve, shot, train  # noqa: F401  (each registers its verb)

__all__ = ["main", "run"]
