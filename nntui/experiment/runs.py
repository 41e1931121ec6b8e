"""Opening a saved run: the engine reads the file, the config checks the
preset inside it, and the engine rebuilds the trainer from both.

This sits above the engine (which never imports the config) and below the
CLI and the app, which open runs with `load_run`.
"""

from __future__ import annotations

from nntui.experiment.config import ConfigError, config_from_dict
from nntui.engine.runfile import RunfileError, read_run, restore
from nntui.engine.trainer import Trainer

__all__ = ["RunfileError", "load_run"]


def load_run(path) -> Trainer:
    """The trainer a runfile holds, ready to continue where it stopped;
    RunfileError (one line naming the file) for anything wrong with it."""
    saved = read_run(path)
    try:
        # The runfile carries its data: a CSV preset's file need not exist any
        # more (nor be re-read); the stored data is what the preset is checked against.
        config = config_from_dict(saved.config, source=saved.source, check_data=False,
                                  dataset=saved.dataset)
    except ConfigError as e:
        raise RunfileError(f"{path}: its stored preset is invalid: {e}") from None
    return restore(saved, config, path)
