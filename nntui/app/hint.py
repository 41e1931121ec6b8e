"""The hint line: what to press next, as Textual markup, from the state alone.

`hint_markup(HintState)` is a pure function (no widget, no clock), so each
case is tested without running the app; the main screen builds the state and
shows the markup in its Hint widget (widgets/hint.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.markup import escape

from nntui.app.worker import Status, speed_label


@dataclass(frozen=True)
class HintState:
    status: Status
    speed: int
    message: str | None = None  # the last frame's (why it diverged, failed or paused)
    next_phase: str = "forward 1"  # the label of the phase `n` runs
    compact: bool = False  # the 80-column layout: the keys a newcomer needs first
    draw_note: str | None = None  # what the last drawing did, while it is recent
    drawing: str = ""  # the class (or value) a click draws
    opening: str | None = None  # the preset being opened, if one is
    open_progress: float | None = None  # how much of its data has been read


def hint_markup(s: HintState) -> str:
    if s.opening is not None:
        read = f"{s.open_progress:.0%} of its data read · " if s.open_progress is not None else ""
        return f"[b]Opening {escape(s.opening)}…[/] {read}[b]escape[/] cancels"
    if s.status == Status.DIVERGED:
        # What to do first: the message can be long (the loss's bound), and a line cut at the
        # terminal's edge must keep the keys; the notice beside it has the whole message.
        why = escape(s.message or "the loss became NaN or inf")
        return (f"[b $text-error]⚠ diverged[/]  [b]-[/] lower the learning rate · [b]r[/] reset · [b]b[/] step back · "
                f"[$text-error]{why}[/]")
    if s.status == Status.ERROR:
        why = escape(s.message or "the engine failed")
        return f"[b $text-error]✖ {why}[/]  [b]r[/] reset · [b]space[/] try again"
    if s.draw_note is not None:  # what the last click did, while drawing goes on (playing or not)
        note = f"[b]{escape(s.draw_note)}[/]"
        if s.compact:
            return f"{note}  [b]p u X[/] · [b]?[/] help"
        play = "pause" if s.status == Status.PLAYING else "play"
        return (f"{note}  drawing [b]{escape(s.drawing)}[/] · "
                f"[b]p[/] next · [b]u[/] remove nearest · [b]X[/] clear · [b]space[/] {play}")
    if s.status == Status.PLAYING:
        return (f"speed {speed_label(s.speed)}  [b]\\[ ][/] slower/faster · [b]space[/] pause · "
                "[b]+ -[/] learning rate · [b]r[/] reset · [b]?[/] help")
    if s.message:  # paused by the engine, e.g. at the preset's epochs
        return f"[b]{escape(s.message)}[/]  [b]space[/] trains on · [b]r[/] reset · [b]?[/] help"
    if s.compact:
        return (f"[b]space[/] play · [b]n[/] [i]{s.next_phase}[/] · [b]s[/] step · [b]i[/] panel · "
                "[b]m[/] controls · [b]?[/] help")
    return (f"step-by-step  [b]space[/] play · [b]n[/] next phase ([i]{s.next_phase}[/]) · "
            "[b]s[/] finish step · [b]e[/] epoch · [b]b[/] back · [b]?[/] help")
