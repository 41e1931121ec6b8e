"""StatusLine: one line with the run's state, position, losses and speed."""

from __future__ import annotations

from rich.text import Text

from nntui.app.worker import Status
from nntui.engine.snapshot import Snapshot

from ._common import fmt
from .view import View

# An error pauses play; the hint line says what failed.
STATE_MARK = {Status.PLAYING: "▶ playing", Status.PAUSED: "‖ paused", Status.DIVERGED: "✖ diverged"}


def _ellipsize(text: str, room: int) -> str:
    return text if len(text) <= room else text[: max(0, room - 1)] + "…"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}".removesuffix(".0") + "%"


def steps_per_second(sps: float) -> str:
    """1,234 steps/s, 4.5 steps/s, 0.17 steps/s (a phase a second: a step
    takes several seconds, and one decimal wrote 0.2 for 0.17 and 0.0 for less)."""
    if sps >= 10:
        return f"{sps:,.0f} steps/s"
    if sps >= 1 or sps == 0:
        return f"{sps:.1f} steps/s"
    return f"{sps:.2g} steps/s"


class StatusLine(View):
    """A single line: state, title, epoch/step/phase, losses, accuracy, speed.

    Public API: ``show(snapshot, Context(status, steps_per_second, title))``.
    """

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
        border: none;
        background: $panel;
        color: $text;
    }
    StatusLine > .statusline--playing { color: $text-success; text-style: bold; }
    StatusLine > .statusline--paused { color: $text-warning; text-style: bold; }
    StatusLine > .statusline--diverged { color: $text-error; text-style: bold; }
    StatusLine > .statusline--muted { color: $text-muted; }
    StatusLine > .statusline--title { text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "statusline--playing",
        "statusline--paused",
        "statusline--diverged",
        "statusline--muted",
        "statusline--title",
    }

    def changed(self, old: Snapshot, new: Snapshot) -> bool:
        return True  # the context (state, speed, title) changes with any snapshot

    @property
    def state(self) -> Status:
        status = Status(self.context.status)
        return status if status in STATE_MARK else Status.PAUSED

    def line(self, width: int | None = None) -> Text:
        """The status as rich Text (also what is drawn). The title gives way
        first when the line is too long, then the batch and the speed."""
        g = self.get_component_rich_style
        muted = g("statusline--muted")
        width = self.size.width if width is None else width
        groups: list[list[tuple[str, object]]] = []  # each group: pieces
        state = self.state
        title = self.context.title
        groups.append([(STATE_MARK[state], g(f"statusline--{state}"))])
        title_index = None
        if title:
            title_index = len(groups)
            groups.append([(title, g("statusline--title"))])
        s = self.snapshot
        batch_index = speed_index = acc_index = phase_index = None
        if s is not None:
            in_step = 0 < s.done < len(s.phases)
            if s.replay_of is not None:  # a past epoch's end, from the run's timeline
                groups.append([(f"epoch {s.epoch} of {s.replay_of} (timeline)", None)])
            else:  # the epoch in progress, 1-based
                groups.append([(f"epoch {s.epoch + 1} · step {s.shown_step}", None)])
            batch_index = len(groups)
            groups.append([(f"batch {min(s.batch_in_epoch + 1, s.batches_per_epoch)}/{s.batches_per_epoch}", muted)])
            phase_index = len(groups)
            if s.last_phase is not None and in_step:
                # The phase's own arrow (→ forward, ← backward) is its direction;
                # what comes next is a separate, muted part (not another arrow).
                groups.append([(f"{s.last_phase.label()} {s.last_phase.arrow}".rstrip(), None),
                               (f" · next {s.next_phase.label()}", muted)])
            else:
                groups.append([(f"next {s.next_phase.label()}", muted)])
            h = s.history
            # A past epoch shows its own numbers (the history is the whole run's).
            at = s.epoch - 1 if s.replay_of is not None and s.epoch > 0 else -1
            now = s.measured_now
            if now is not None:  # a unit off or a weight set by hand: these weights' own numbers
                loss = f"loss now {fmt(now['train_loss'], 3)}"
                if h.val_loss and now.get("val_loss") is not None:
                    loss += f" val {fmt(now['val_loss'], 3)}"
                groups.append([(loss, None)])
            elif s.replay_of is not None and s.epoch == 0:
                groups.append([("loss —", muted)])
            elif h.train_loss:
                loss = f"loss {fmt(h.train_loss[at], 3)}"
                if h.val_loss:
                    loss += f" val {fmt(h.val_loss[at], 3)}"
                groups.append([(loss, None)])
            elif s.loss is not None:
                groups.append([(f"batch loss {fmt(s.loss, 3)}", None)])
            elif h.batch_loss:
                groups.append([(f"batch loss {fmt(h.batch_loss[-1], 3)}", None)])
            else:
                groups.append([("loss —", muted)])
            if s.task in ("binary", "multiclass") and now is not None and now.get("train_accuracy") is not None:
                acc = f"acc {_pct(now['train_accuracy'])}"
                if h.val_accuracy and now.get("val_accuracy") is not None:
                    acc += f" val {_pct(now['val_accuracy'])}"
                acc_index = len(groups)
                groups.append([(acc, None)])
            elif s.task in ("binary", "multiclass") and h.train_accuracy and not (s.replay_of is not None and s.epoch == 0):
                acc = f"acc {_pct(h.train_accuracy[at])}"
                if h.val_accuracy:
                    acc += f" val {_pct(h.val_accuracy[at])}"
                acc_index = len(groups)
                groups.append([(acc, None)])
            sps = self.context.steps_per_second
            if state == Status.PLAYING or sps > 0:
                speed_index = len(groups)
                groups.append([(steps_per_second(sps), muted)])

        sep = " │ "

        def length(gs) -> int:
            live = [gr for gr in gs if gr]
            return sum(len(t) for gr in live for t, _ in gr) + len(sep) * (len(live) - 1)

        if width and batch_index is not None and length(groups) > width:
            groups[batch_index] = []
        if width and length(groups) > width and title_index is not None:
            room = width - (length(groups) - len(title))
            groups[title_index] = [(_ellipsize(title, room), g("statusline--title"))] if room >= 8 else []
        for drop in (speed_index, acc_index):
            if width and drop is not None and length(groups) > width:
                groups[drop] = []
        if width and phase_index is not None and length(groups) > width:
            groups[phase_index] = groups[phase_index][:1]  # keep the phase, not what is next
        t = Text(no_wrap=True, overflow="ellipsis", end="")
        first = True
        for gr in groups:
            if not gr:
                continue
            if not first:
                t.append(sep, muted)
            first = False
            for text, style in gr:
                t.append(text, style)
        return t

    def render(self) -> Text:
        return self.line()
