"""A trainer's state as plain data, and back: what a runfile saves and a
resumed run adopts, so that it goes on bit-identically. Kept beside the
trainer (it reads the trainer's own fields) so the trainer class stays one job."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .timeline import entry_bytes, from_state, to_state

if TYPE_CHECKING:
    from .trainer import Trainer


def state_of(tr: Trainer) -> dict:
    """Everything a resumed run needs to go on bit-identically, beside its
    config and data: the counters, the parameters (initial and now), the
    optimizer (lr, options, state), the history, and the epoch's tally
    (sum of batch loss × size, samples right), since an epoch's train loss
    and accuracy are means over all its batches, before and after a save."""
    opt = tr.optimizer
    return {
        "step": tr.step, "epoch": tr.epoch, "batch": tr.batch,
        "tally": (float(tr._tally[0]), int(tr._tally[1]), [float(v) for v in tr._tally[2]]),
        "initial_params": dict(tr.initial_params), "params": dict(tr.params),
        "lr": opt.lr, "options": dict(opt.options), "optimizer": opt.get_state(),
        "history": {k: list(v) for k, v in tr.history.items()},
        **tr.rules.to_dict(),
        **({"timeline": to_state(tr.timeline)} if tr.timeline is not None else {}),
        "off": sorted([l, j] for l, j in tr.net.off),
        "edits": [[st, name, list(index), old, new] for st, name, index, old, new in tr.edits],
    }

def load_state(tr: Trainer, state: dict) -> None:
    """Adopt what state_dict() gave (from this run or a runfile). Raises
    ValueError, naming the entry, for a missing one or a shape that does
    not fit this network."""
    for which in ("initial_params", "params"):
        given = state[which]
        for k in tr.net.param_names:
            if k not in given:
                raise ValueError(f"missing {'init_' if which == 'initial_params' else ''}{k}")
            if np.shape(given[k]) != tr.params[k].shape:
                raise ValueError(f"'{k}' has shape {np.shape(given[k])}, the model needs {tr.params[k].shape}")
    tr.initial_params = {k: np.asarray(state["initial_params"][k], dtype=np.float64) for k in tr.net.param_names}
    tr.params = {k: np.asarray(state["params"][k], dtype=np.float64) for k in tr.net.param_names}
    opt = tr.optimizer
    if tr.schedule is not None:  # a schedule may have brought the rate to 0, as torch's do
        opt.schedule_lr(state["lr"])
    else:
        opt.lr = state["lr"]
    # All at once: pairs such as momentum and nesterov are only valid together.
    opt.set_options({k: tuple(v) if isinstance(v, list) else v for k, v in state["options"].items()})
    opt.set_state(state["optimizer"])
    for k in tr.history:
        # A runfile from before history.lr has the rate it stopped with for every epoch.
        given = state["history"][k] if k in state["history"] else [state["lr"]] * int(state["epoch"])
        tr.history[k] = [float(v) for v in given]
    tr.step, tr.epoch, tr.batch = int(state["step"]), int(state["epoch"]), int(state["batch"])
    tr.rules.from_dict(state, tr.net.param_names)
    if "timeline" in state:
        tr.timeline = from_state(state["timeline"], entry_bytes(tr.params), tr._lazy_confusion)
    tr._tally = (float(state["tally"][0]), int(state["tally"][1]), tuple(float(v) for v in state["tally"][2]))
    tr._ring.clear()  # nothing before the saved step can be rewound
    tr.switch_off(state.get("off", ()))
    tr.edits = [(int(st), str(name), tuple(int(i) for i in index), float(old), float(new))
                  for st, name, index, old, new in state.get("edits", ())]
    tr._shuffle(tr.epoch)  # the epoch's order and its pre-gathered rows
    # A runfile keeps no confusion matrix: measured again (when asked), with
    # the parameters saved (those of the epoch's end when the run was saved there).
    tr._confusion = tr._lazy_confusion(tr.params, tr.epoch) if tr.epoch else None
