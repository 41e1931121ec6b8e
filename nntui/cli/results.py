"""The results of a run as `train --json` and `compare --json` print them."""

from __future__ import annotations

from nntui.cli import common


def result(trainer, seconds: float, diverged, saved: str | None) -> dict:
    """The train --json object; `diverged` is the Diverged (or its message) or None."""
    c = trainer.config
    metrics = final_metrics(trainer)
    result = {
        "preset": c.name, "title": c.title,
        "epochs": trainer.epoch, "steps": trainer.step, "seconds": round(seconds, 6),
        "train_loss": common.finite(metrics["train_loss"]), "val_loss": common.finite(metrics["val_loss"]),
    }
    if trainer.dataset.task != "regression":
        result["train_accuracy"] = metrics["train_accuracy"]
        result["val_accuracy"] = metrics["val_accuracy"]
    target = c.train.target_loss
    result.update({
        "task": trainer.dataset.task, "layers": list(c.model.layers), "optimizer": c.train.optimizer,
        **({"features": list(trainer.features)} if trainer.features else {}),
        "learning_rate": c.train.learning_rate, "batch_size": c.train.batch_size,
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in c.train.options.items()},
        "data_seed": c.data.seed, "model_seed": c.model.seed,
        "target_loss_reached": bool(target is not None and trainer.history["train_loss"]
                                    and trainer.history["train_loss"][-1] <= target),
        "diverged": diverged is not None,
    })
    if diverged is not None:
        # A NaN step is undone (the next step is the one that failed); an
        # exploding loss names the step it was found at.
        result["diverged_at_step"] = getattr(diverged, "step", trainer.step + 1)
        result["error"] = str(diverged)
    if saved:
        result["saved"] = saved
    if trainer.stop is not None:
        result["early_stopping"] = early_stopping(trainer)
    if trainer.confusion is not None:  # classification, once an epoch has ended
        result["confusion"] = trainer.confusion.to_dict()
    result["history"] = history(trainer)
    return result


def history(trainer) -> dict:
    """Per-epoch lists, one entry per epoch done (val_loss empty without a
    validation set; the accuracies for classification only), and grad_norm:
    {"W1": [...], ...}, each weight matrix's mean gradient norm per epoch."""
    from nntui.engine import gradnorm  # numpy: not before a run needs it (`nntui --help` stays instant)

    keys = ["train_loss", "val_loss"]
    if trainer.dataset.task != "regression":
        keys += ["train_accuracy", "val_accuracy"]
    keys.append("lr")  # the learning rate each epoch was trained with
    out = {k: [common.finite(float(v)) for v in trainer.history[k]] for k in keys}
    out["grad_norm"] = {w: [common.finite(float(v)) for v in series]
                        for w, series in gradnorm.as_dict(trainer.history).items()}
    return out


def early_stopping(trainer) -> dict:
    """Where early stopping stopped: the best epoch (1-based) and its value,
    the epoch it stopped at (None if it did not)."""
    st = trainer.stop
    return {"monitor": trainer.stopper.monitor, "best_epoch": st.best_epoch + 1 if trainer.epoch else None,
            "best": common.finite(st.best), "stopped_epoch": st.stopped_epoch,
            "restored": bool(st.stopped and st.best_params is not None)}


def final_metrics(trainer) -> dict:
    """The last epoch's metrics, as the app, the history and the runfile show
    them (train: the mean over the epoch's batches); a fresh evaluation only
    when no epoch has finished."""
    h = trainer.history
    if not h["train_loss"]:
        return trainer.evaluate()
    st = trainer.stop
    # Early stopping restored the best epoch's weights: its numbers are the run's.
    at = st.best_epoch if st is not None and st.stopped and st.best_params is not None else -1
    return {k: (h[k][at] if h[k] else None)
            for k in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")}
