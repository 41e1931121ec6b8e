"""The race's landscape (the race's z, app/widgets/race_landscape.py): every
variant's path on one slice through the shared start, checked against the
trainers themselves; the whole surface for a two-weight net (valley); a race
of networks that share no ground says so; snapshots at 160x48 and 80x24."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nntui.app import shots
from nntui.app.app import make_app
from nntui.app.widgets.race_landscape import race_paths
from nntui.engine import landscape as ls
from nntui.experiment.presets import load_preset
from nntui.experiment.variants import Race, declared_variants, make_variants
from tests.test_compare_view import _racing, _wait_for


def _race(name: str, epochs: int) -> Race:
    race = Race(declared_variants(load_preset(name)))
    for r in race.runners:
        r.trainer.keep_timeline()
    while min(r.trainer.epoch for r in race.runners) < epochs and race.step_epoch():
        pass
    return race


def test_a_two_weight_net_is_sliced_along_its_own_weights():
    race = _race("valley", 30)
    paths = race_paths(race)
    plane = ls.plane_of_paths(paths)
    assert plane.axes == ("W1[0,0]", "b1[0]")
    for r, path in zip(race.runners, paths):
        got = ls.project_on(plane, path)
        tr = r.trainer
        assert len(path) == tr.epoch + 1  # the start and every epoch's end
        assert got[0].tolist() == [0.0, 0.0]
        w, b = tr.params["W1"][0, 0], tr.params["b1"][0]
        assert got[-1] == pytest.approx([w - 1.0, b + 1.0], abs=1e-15)  # offsets from w = 1, b = -1


def test_the_race_slice_is_the_exact_loss_on_its_plane():
    race = _race("valley", 10)
    plane = ls.plane_of_paths(race_paths(race))
    tr = race.runners[0].trainer
    alpha, beta = ls.extent(np.concatenate([ls.project_on(plane, p) for p in race_paths(race)]), 7)
    job = ls.SliceJob(tr.net, tr.loss, plane.start, plane.d1, plane.d2, alpha, beta, tr.x_train, tr.dataset.y_train)
    job.work(10.0)
    assert job.done
    x, y = tr.x_train[:, 0], tr.dataset.y_train[:, 0]
    for i, a in enumerate(alpha):
        for j, b in enumerate(beta):
            w, c = 1.0 + a, -1.0 + b  # the weights themselves: a hand forward pass of y = w x + c
            assert job.loss_grid[i, j] == pytest.approx(np.mean((w * x + c - y) ** 2), rel=1e-12, abs=1e-14)


def test_paths_of_a_bigger_net_share_the_principal_plane_through_the_start():
    race = _race("optimizers", 3)
    paths = race_paths(race)
    plane = ls.plane_of_paths(paths)
    assert plane.axes == ("PC1", "PC2")
    assert abs(plane.d1 @ plane.d2) < 1e-12 and np.linalg.norm(plane.d1) == pytest.approx(1.0)
    assert 0.0 < sum(plane.explained) <= 1.0 + 1e-12
    starts = [ls.project_on(plane, p)[0] for p in paths]
    assert all(s.tolist() == [0.0, 0.0] for s in starts)  # one start for every variant
    ends = np.stack([ls.project_on(plane, p)[-1] for p in paths])
    assert ends[:, 0].mean() > 0  # the paths walk towards +PC1


def test_variants_of_other_networks_share_no_ground():
    config = load_preset("xor")
    race = Race(make_variants(config, "activation", ["tanh", "sigmoid"]))
    assert "activations" in ls.same_ground([r.trainer for r in race.runners])
    seeds = Race(make_variants(config, "seed", [0, 1]))  # the data's seed too
    assert "data" in ls.same_ground([r.trainer for r in seeds.runners])
    inits = Race(make_variants(config, "init", ["xavier", "normal"]))
    assert "start" in ls.same_ground([r.trainer for r in inits.runners])
    wider = dataclasses.replace(config, model=dataclasses.replace(config.model, layers=(2, 8, 1)))
    assert "size" in ls.same_ground([Race(make_variants(c, "seed", [0])).runners[0].trainer for c in (config, wider)])
    rates = Race(make_variants(config, "learning_rate", [0.1, 0.3]))
    assert ls.same_ground([r.trainer for r in rates.runners]) is None


def _text(widget) -> str:
    return widget.render().plain


async def test_valley_opens_on_its_landscape_with_every_path():
    app = make_app(load_preset("valley"))
    async with app.run_test(size=(100, 30)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        screen = app.screen
        await pilot.press("space")  # pause: the test steps the race itself
        assert screen.landscape_shown and screen.landscape.display
        assert not screen.query_one("#race-boundaries").display
        for _ in range(40):
            await pilot.press("e")
        screen.landscape.finish()
        text = _text(screen.landscape)
        assert text.startswith("→ W1[0,0]") and "↑ b1[0]" in text
        assert all(d in text for d in "123") and "S" in text
        assert "1 sgd" in str(screen.landscape.border_subtitle) and "3 adam" in str(screen.landscape.border_subtitle)
        # The map's range covers every path: momentum's overshoot (w below -1.5) is on it.
        job = screen.landscape._shown
        momentum = race_paths(screen.race)[1]
        w = [p["W1"][0, 0] for p in momentum]
        assert min(w) < -1.5 and 1.0 + job.alpha[0] <= min(w)
        await pilot.press("z")
        assert not screen.landscape.display and screen.query_one("#race-boundaries").display


async def test_z_puts_the_optimizers_paths_on_one_map_and_it_grows_live():
    app = make_app(load_preset("optimizers"))
    async with app.run_test(size=(160, 48)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        screen = app.screen
        await pilot.press("space")
        assert not screen.landscape_shown  # the boundaries first: a 2-D net of many weights
        await pilot.press("e", "e", "z")
        await _wait_for(pilot, lambda: screen.landscape._shown is not None)
        first = screen.landscape._shown
        assert first.steps == tuple(r.trainer.step for r in screen.race.runners)
        await pilot.press("e")
        await _wait_for(pilot, lambda: screen.landscape._shown is not first and not screen.landscape.measuring)
        assert screen.landscape._shown.steps == tuple(r.trainer.step for r in screen.race.runners)
        text = _text(screen.landscape)
        assert "PC1" in text and all(d in text for d in "1234")


async def test_the_race_help_lists_the_race_keys():
    app = make_app(load_preset("valley"))
    async with app.run_test(size=(100, 30)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        await pilot.press("question_mark")
        await pilot.pause()
        rows = dict(app.screen.rows)
        assert "landscape" in rows["z"] and "race" in rows["space"]
        assert "shared start" in app.screen.notes and "Controls (left)" not in app.screen.notes


def _landscape_race(epochs: int):
    async def run_before(pilot) -> None:
        await _wait_for(pilot, lambda: _racing(pilot.app))
        shots.run_race(pilot.app.screen, epochs, landscape=True)  # as `nntui shot --view race-landscape`
        await pilot.pause(0.3)

    return run_before


def test_snapshot_the_valley_race_landscape(snap_compare):
    assert snap_compare(make_app(load_preset("valley")), run_before=_landscape_race(100), terminal_size=(160, 48))


def test_snapshot_the_optimizers_landscape_at_80x24(snap_compare):
    c = load_preset("optimizers")
    app = make_app(dataclasses.replace(c, train=dataclasses.replace(c.train, epochs=20)))
    assert snap_compare(app, run_before=_landscape_race(20), terminal_size=(80, 24))



async def test_a_diverged_variant_leaves_the_map_to_the_others():
    c = load_preset("valley")
    app = make_app(dataclasses.replace(c, variants=((("learning_rate", 0.05),), (("learning_rate", 5.0),))))
    async with app.run_test(size=(100, 30)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        screen = app.screen
        await pilot.press("space")
        for _ in range(30):
            await pilot.press("e")
        assert screen.race.runners[1].diverged and not screen.race.runners[0].diverged
        screen.landscape.finish()
        job = screen.landscape._shown
        calm = ls.project_on(job.plane, race_paths(screen.race)[0])
        assert job.alpha[-1] - job.alpha[0] < 10 * np.ptp(calm[:, 0]) + 1  # the map is the calm run's
        assert "diverged: off the map" in str(screen.landscape.border_subtitle)
        assert "1" in _text(screen.landscape)


async def test_the_races_paths_share_one_runs_memory_budget():
    from nntui.engine.timeline import TIMELINE_BYTES

    app = make_app(load_preset("optimizers"))
    async with app.run_test(size=(100, 30)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        budgets = [r.trainer.timeline.budget for r in app.screen.race.runners]
        assert budgets == [TIMELINE_BYTES // 4] * 4


async def test_the_whole_surface_map_only_grows_during_a_race():
    """The ground and S stay put while the paths stay on the map: the ranges never shrink."""
    app = make_app(load_preset("valley"))
    async with app.run_test(size=(100, 30)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        screen = app.screen
        await pilot.press("space")
        ranges = []
        for _ in range(12):
            for _ in range(5):
                await pilot.press("e")
            screen.landscape.finish()
            job = screen.landscape._shown
            ranges.append((job.alpha[0], job.alpha[-1], job.beta[0], job.beta[-1]))
        for (a0, a1, b0, b1), (c0, c1, d0, d1) in zip(ranges, ranges[1:]):
            assert c0 <= a0 and c1 >= a1 and d0 <= b0 and d1 >= b1
        assert ranges[-1] != ranges[0]  # and it did grow: momentum runs past the bottom
        text = _text(screen.landscape)
        assert "dark: low" in text


async def test_a_single_run_key_in_the_race_says_where_it_works():
    app = make_app(load_preset("optimizers"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _wait_for(pilot, lambda: _racing(app))
        await pilot.press("space", "G")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert any("G" in m and "single run" in m and "escape" in m for m in said), said
        footer = "\n".join(line for line in app.screen._compositor.render_strips()[-1].text.splitlines())
        assert "single run" in footer and "help" in footer and "quit" in footer  # the way out fits at 80 columns
