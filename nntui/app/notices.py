"""What an edit of the controls changed, as the notices say it."""

from __future__ import annotations

from nntui.engine.features import label
from nntui.engine.optimizers import OPTIMIZER_DEFAULTS
from nntui.experiment.config import Config


def said(key: str, old: Config, new: Config) -> str:
    """'momentum 0 → 0.9': what an edit changed, as the controls name it."""
    name = key.rsplit(".", 1)[-1]
    if key == "model.hidden":
        return f"hidden layers {list(old.model.layers[1:-1])} → {list(new.model.layers[1:-1])}"
    if key == "data.features":
        names = [label(f) for f in new.data.features]
        on = [n for f, n in zip(new.data.features, names) if f not in old.data.features]
        off = [label(f) for f in old.data.features if f not in new.data.features]
        change = "; ".join(p for p in (f"{', '.join(on)} on" if on else "", f"{', '.join(off)} off" if off else "") if p)
        return (f"{change}: the network's inputs are {', '.join(names)} "
                f"({old.model.layers[0]} → {new.model.layers[0]} input units, hidden layers kept)")
    section, _, rest = key.partition(".")
    if rest.startswith("early_stopping"):
        was, now = old.train.early_stopping, new.train.early_stopping
        if key.endswith(".patience") and was is not None and now is not None:
            return f"early stopping's patience {was.patience} → {now.patience}"
        return (f"early stopping {'on' if now else 'off'}"
                + (f" ({now.monitor}, patience {now.patience})" if now else ""))
    if rest.startswith("options."):
        before = old.train.options.get(name, OPTIMIZER_DEFAULTS.get(old.train.optimizer, {}).get(name))
        after = new.train.options.get(name, OPTIMIZER_DEFAULTS.get(new.train.optimizer, {}).get(name))
    else:
        before, after = getattr(getattr(old, section), name), getattr(getattr(new, section), name)
    return f"{name.replace('_', ' ')} {before} → {after}"
