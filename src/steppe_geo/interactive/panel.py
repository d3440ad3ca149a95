"""The tuning panel: ipywidgets and a matplotlib map on top of a :class:`TuningSession`.

Needs the optional extra ``pip install "steppe-geo[interactive]"`` (ipywidgets). The figures are
matplotlib :class:`~matplotlib.figure.Figure` objects drawn with the Agg renderer and shown as PNG
in :class:`ipywidgets.Image` widgets, so the panel works offline in JupyterLab, Jupyter Notebook
and VS Code without a JavaScript matplotlib backend; after each edit the existing images are
updated in place (``AxesImage.set_data``, ``Line2D.set_data``), no figure is created again.

While a slider moves the session computes on its preview grid; the panel computes at full
resolution ``release_delay_s`` after the last change (when an event loop runs, as in a Jupyter
kernel) or when "Full resolution" is pressed (:meth:`TuningPanel.release`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import html
import io
import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from steppe_geo.errors import InvalidParameterError, MissingDependencyError, SteppeGeoError

try:
    import ipywidgets as widgets
except ImportError as exc:  # tested in a subprocess where ipywidgets cannot be imported
    raise MissingDependencyError(
        "steppe_geo.interactive.TuningPanel needs ipywidgets, which is not installed: "
        "pip install \"steppe-geo[interactive]\" (TuningSession works without it)"
    ) from exc
import PIL.Image
from IPython.display import display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from steppe_geo.interactive.session import TuningSession, Update
from steppe_geo.mcda import Categorical, Rule

__all__ = ["SAATY_CHOICES", "TuningPanel"]

#: Saaty's 1–9 scale and its reciprocals, as (label, value) options of the judgement sliders.
SAATY_CHOICES: tuple[tuple[str, float], ...] = (
    *((f"1/{k}", 1.0 / k) for k in range(9, 1, -1)),
    *((str(k), float(k)) for k in range(1, 10)),
)

_LAYER_PARAMETERS = {"low", "high", "midpoint", "mean", "xs"}  # in the layer's units: slid over its range


_DISPLAY_PIXELS = 400  # most array pixels drawn along each side of a map (about the axes' size on screen)


class _Blit:
    """A figure drawn once, then only its moving artists redrawn (blitting) and the canvas encoded as PNG.

    The figure is drawn in full (layout, axes, colour bar, titles) with the moving artists left
    out; each axes' background is kept, and a redraw restores it and draws that axes' artists on
    it — no text, tick or layout work per redraw.
    """

    def __init__(self, figure: Figure, artists: Mapping[Any, Sequence[Any]]) -> None:
        self.figure, self.artists = figure, dict(artists)
        self.canvas = FigureCanvasAgg(figure)
        for group in self.artists.values():
            for a in group:
                a.set_animated(True)
        self.canvas.draw()
        figure.set_layout_engine("none")  # keep the positions the layout found
        self.backgrounds = {ax: self.canvas.copy_from_bbox(ax.bbox) for ax in self.artists}

    def png(self, axes: Sequence[Any] | None = None) -> bytes:
        """Redraw the moving artists of ``axes`` (default all) and return the figure as PNG."""
        for ax in axes if axes is not None else self.artists:
            self.canvas.restore_region(self.backgrounds[ax])
            for a in self.artists[ax]:
                ax.draw_artist(a)
        width, height = self.canvas.get_width_height()
        image = PIL.Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _for_display(values: np.ndarray) -> np.ndarray:
    """Every k-th pixel, so that at most ``_DISPLAY_PIXELS`` are drawn along each side."""
    k = max(1, math.ceil(max(values.shape) / _DISPLAY_PIXELS))
    return values[::k, ::k]


def _layer_range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.1 * (hi - lo) if hi > lo else max(1.0, abs(lo))
    return lo - pad, hi + pad


class TuningPanel:
    """Sliders, toggles and a map that redraws after each edit of a :class:`TuningSession`.

    One slider per criterion weight (the normalised weight shown next to it), one per parameter of
    each value function (drawn as its curve over the layer's histogram), an on/off toggle per
    constraint with a slider for its threshold, a dropdown for the combination rule, AHP judgement
    sliders with the consistency ratio when the session's weights come from judgements; the score
    and eligibility maps, the eligible area, a "what changed" line and the top parcels.

    Parameters
    ----------
    session : TuningSession
    release_delay_s : float or None, default 0.4
        Seconds after the last change before the full-resolution evaluation (None: only on
        "Full resolution" or :meth:`release`).
    map_size : (width, height), default (9.0, 4.0)
        Size of the map figure in inches.

    Attributes
    ----------
    weights, breakpoints, toggles, thresholds, judgements : dict
        The widgets by criterion / (criterion, parameter) / constraint / (constraint, bound) /
        (criterion, criterion) name; set their ``value`` to tune from code.
    rule : ipywidgets.Dropdown
    status, top_parcels : ipywidgets.HTML
    map_image, curve_image : ipywidgets.Image
        The PNG of :attr:`map_figure` and :attr:`curve_figure`.
    widget : ipywidgets.Widget
        The whole panel (what the notebook displays).
    """

    def __init__(self, session: TuningSession, *, release_delay_s: float | None = 0.4,
                 map_size: tuple[float, float] = (9.0, 4.0)) -> None:
        if not isinstance(session, TuningSession):
            raise InvalidParameterError(f"session must be a TuningSession, got {type(session).__name__}")
        if release_delay_s is not None and not (isinstance(release_delay_s, int | float)
                                                and math.isfinite(release_delay_s) and release_delay_s >= 0):
            raise InvalidParameterError(
                f"release_delay_s must be a number of seconds >= 0, or None, got {release_delay_s!r}")
        self.session = session
        self._map_size = map_size
        self.release_delay_s = release_delay_s
        self._pending: asyncio.TimerHandle | None = None
        self._syncing = False
        self.error = ""
        self.redraws = 0
        model = session.base_model
        slider = {"continuous_update": True, "readout_format": ".3g",
                  "style": {"description_width": "initial"}, "layout": {"width": "340px"}}
        # weights
        top = max(1.0, 2 * max(c.weight for c in model.criteria))
        self.weights = {c.name: widgets.FloatSlider(value=c.weight, min=0.0, max=top, step=top / 200,
                                                    description=c.name, **slider) for c in model.criteria}
        self._weight_labels = {c.name: widgets.HTML() for c in model.criteria}
        for name, w in self.weights.items():
            w.observe(self._on(functools.partial(session.set_weight, name, level="preview")), "value")
        # value functions
        self.breakpoints: dict[tuple[str, str], widgets.Widget] = {}
        for c in model.criteria:
            lo, hi = _layer_range(session.layer(c.name))
            for f in dataclasses.fields(c.function):
                value = getattr(c.function, f.name)
                if isinstance(value, tuple) and value and all(isinstance(v, float | int) for v in value):
                    for i, v in enumerate(value):
                        rng = (min(lo, v), max(hi, v)) if f.name in _LAYER_PARAMETERS else (0.0, 1.0)
                        self.breakpoints[(c.name, f"{f.name}[{i}]")] = widgets.FloatSlider(
                            value=v, min=rng[0], max=rng[1], step=(rng[1] - rng[0]) / 500,
                            description=f"{f.name}[{i}]", **slider)
                elif isinstance(value, float | int) and not isinstance(value, bool):
                    if f.name in _LAYER_PARAMETERS:
                        self.breakpoints[(c.name, f.name)] = widgets.FloatSlider(
                            value=value, min=min(lo, value), max=max(hi, value),
                            step=(max(hi, value) - min(lo, value)) / 500, description=f.name, **slider)
                    else:
                        self.breakpoints[(c.name, f.name)] = widgets.FloatText(
                            value=value, description=f.name, continuous_update=False,
                            style={"description_width": "initial"})
        for (name, param), w in self.breakpoints.items():
            w.observe(self._on(functools.partial(self._set_parameter, name, param)), "value")
        # constraints
        self.toggles = {n: widgets.Checkbox(value=True, description=n, indent=False)
                        for n in model.constraint_names}
        for name, w in self.toggles.items():
            w.observe(self._on(functools.partial(session.toggle_constraint, name, level="preview")), "value")
        self.thresholds: dict[tuple[str, str], widgets.FloatSlider] = {}
        for name in model.constraint_names:
            for bound, value in session.threshold(name).items():
                if value is None:
                    continue
                if bound == "distance_m":  # an exact setback is derived again: on release of the slider
                    rng, live = (0.0, max(5000.0, 4 * value)), False
                else:
                    rng, live = _layer_range(session.layer(name)), True
                    rng = (min(rng[0], value), max(rng[1], value))
                self.thresholds[(name, bound)] = widgets.FloatSlider(
                    value=value, min=rng[0], max=rng[1], step=(rng[1] - rng[0]) / 500, description=bound,
                    **{**slider, "continuous_update": live})
        for (name, bound), w in self.thresholds.items():
            w.observe(self._on(functools.partial(session.set_threshold, name, bound=bound, level="preview")),
                      "value")
        # rule
        self.rule = widgets.Dropdown(options=_model_rules(model), value=Rule(model.overlay().rule).value,
                                     description="rule")
        self.rule.observe(self._on(functools.partial(session.set_rule, level="preview")), "value")
        # AHP judgements (when the weights come from them)
        self.judgements: dict[tuple[str, str], widgets.SelectionSlider] = {}
        if session.ahp is not None:
            names = list(session.ahp.criteria)
            for i, a in enumerate(names):
                for j in range(i + 1, len(names)):
                    b = names[j]
                    value = float(session.ahp.matrix[i, j])
                    nearest = min(SAATY_CHOICES, key=lambda o: abs(math.log(o[1] / value)))[1]
                    self.judgements[(a, b)] = widgets.SelectionSlider(
                        options=SAATY_CHOICES, value=nearest, description=f"{a} / {b}",
                        **{k: v for k, v in slider.items() if k != "readout_format"})

            def judge(_value: Any) -> Update:  # every judgement slider sets them all
                return session.set_judgements({pair: s.value for pair, s in self.judgements.items()},
                                              level="preview")

            for w in self.judgements.values():
                w.observe(self._on(judge), "value")
        # outputs
        self.status = widgets.HTML()
        self.top_parcels = widgets.HTML()
        self.map_image = widgets.Image(format="png")
        self.curve_image = widgets.Image(format="png")
        self.release_button = widgets.Button(description="Full resolution")
        self.release_button.on_click(lambda _b: self.release())
        self.export_button = widgets.Button(description="Export model TOML")
        self.export_text = widgets.Textarea(layout={"width": "100%", "height": "160px"})
        self.export_button.on_click(lambda _b: setattr(self.export_text, "value", session.to_toml()))
        self._build_figures()
        self.widget = self._layout()
        self._show(session.last["full"])

    # ------------------------------------------------------------------ public
    def release(self) -> Update:
        """Evaluate at full resolution and redraw (what the panel does once a slider is let go).

        When the preview grid is the full grid (small grids) the last edit was already evaluated
        at full resolution: that evaluation is returned and nothing is redrawn.
        """
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self.session.preview_step == 1:
            return self.session.last["full"]
        update = self.session.evaluate("full")
        self._show(update)
        return update

    def controls(self) -> list[tuple[str, str, str]]:
        """Every control of the panel with its value: ``(group, control, value)`` rows."""
        rows = []
        weights = self.session.weights()
        for name, w in self.weights.items():
            rows.append(("weight", name, f"{w.value:.3g} ({100 * weights[name]:.1f} %)"))
        for (name, param), w in self.breakpoints.items():
            rows.append(("value function", f"{name}.{param}", f"{w.value:.4g}"))
        for name, t in self.toggles.items():
            limits = [f"{b} {w.value:.4g}" for (n, b), w in self.thresholds.items() if n == name]
            rows.append(("constraint", name, ("on" if t.value else "off") + (f", {', '.join(limits)}"
                                                                             if limits else "")))
        rows.append(("rule", "rule", str(self.rule.value)))
        for (a, b), w in self.judgements.items():
            rows.append(("AHP judgement", f"{a} / {b}", w.label))
        return rows

    def snapshot(self) -> Figure:
        """A static picture of the panel: the map, the curves, every control's value and the status.

        For a report or the documentation, where widgets do not render (a new matplotlib figure,
        nothing is shown or saved).
        """
        fig = Figure(figsize=(13.0, 10.0), dpi=100, layout="constrained")
        top, bottom = fig.subfigures(2, 1, squeeze=False, height_ratios=[0.75, 1.5])[:, 0]
        ax_map, ax_curves = top.subplots(1, 2, width_ratios=[1.35, 1.0])
        for ax, png in ((ax_map, self.map_image.value), (ax_curves, self.curve_image.value)):
            ax.imshow(np.asarray(PIL.Image.open(io.BytesIO(png))))
            ax.set_axis_off()
        ax_table, ax_text = bottom.subplots(1, 2, width_ratios=[1.0, 1.0])
        rows = self.controls()
        ax_table.set_axis_off()
        table = ax_table.table(cellText=[list(r) for r in rows], colLabels=["group", "control", "value"],
                               loc="upper center", cellLoc="left", colLoc="left")
        table.auto_set_font_size(False)
        table.set_fontsize(7.5)
        table.scale(1.0, 0.9)
        ax_text.set_axis_off()
        text = re.sub(r"<br>", "\n", self.status.value)
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
        last = self.session.last["full"]
        if last.ranking is not None:
            top_rows = last.ranking.head(self.session.top_k)
            text += f"\n\nTop {self.session.top_k} parcels (full resolution):\n" + "\n".join(
                f"{int(r['rank']):>3}  {pid}  score {r['score']:.3f}  "
                f"{r['eligible_area_ha']:,.0f} ha eligible" for pid, r in top_rows.iterrows())
        ax_text.text(0.0, 1.0, "\n".join(textwrap.fill(line, 90) for line in text.split("\n")), va="top",
                     ha="left", fontsize=8.5, family="monospace", transform=ax_text.transAxes)
        return fig

    def _ipython_display_(self) -> None:
        display(self.widget)

    # ------------------------------------------------------------------ figures
    def _build_figures(self) -> None:
        s = self.session
        full = s.last["full"]
        west, south, east, north = s.grid.bounds
        extent = (west, east, south, north)
        self.map_figure = Figure(figsize=self._map_size, dpi=90, layout="constrained")
        ax_score, ax_ok = self.map_figure.subplots(1, 2, sharex=True, sharey=True)
        self._score_im = ax_score.imshow(_for_display(full.score.values), extent=extent, vmin=0, vmax=1,
                                         cmap="viridis", interpolation="nearest")
        self.map_figure.colorbar(self._score_im, ax=ax_score, shrink=0.8, label="score")
        ax_score.set_title("score")
        self._ok_im = ax_ok.imshow(_for_display(full.eligible.values).astype(np.uint8), extent=extent,
                                   vmin=0, vmax=1, cmap="Greys_r", interpolation="nearest")
        ax_ok.set_title("eligible (white)")
        for ax in (ax_score, ax_ok):
            ax.set_xticks([])
            ax.set_yticks([])
        self._map_blit = _Blit(self.map_figure, {ax_score: [self._score_im], ax_ok: [self._ok_im]})
        crit = s.base_model.criteria
        cols = min(3, len(crit))
        rows = math.ceil(len(crit) / cols)
        self.curve_figure = Figure(figsize=(3.2 * cols, 2.3 * rows), dpi=80, layout="constrained")
        axes = np.atleast_1d(self.curve_figure.subplots(rows, cols)).ravel()
        self._curves: dict[str, tuple[Any, np.ndarray]] = {}
        for ax, c in zip(axes, crit, strict=False):
            values = s.layer(c.name)
            finite = values[np.isfinite(values)]
            twin = ax.twinx()
            if isinstance(c.function, Categorical):
                x = np.unique(finite)
                twin.bar(x, [np.count_nonzero(finite == v) for v in x], color="0.85", width=0.8 * _gap(x))
            else:
                lo, hi = _layer_range(values)
                lo, hi = min(lo, *_layer_points(c.function)), max(hi, *_layer_points(c.function))
                x = np.linspace(lo, hi, 256)
                twin.hist(finite, bins=40, range=(lo, hi), color="0.85")
            twin.set_yticks([])
            ax.set_zorder(twin.get_zorder() + 1)
            ax.patch.set_visible(False)
            (line,) = ax.plot(x, c.function.apply(x), "o" if isinstance(c.function, Categorical) else "-",
                              color="tab:blue")
            ax.set_ylim(-0.05, 1.05)
            ax.set_title(f"{c.name} ({c.layer})", fontsize=9)
            self._curves[c.name] = (line, x)
        for ax in axes[len(crit):]:
            ax.set_visible(False)
        self._curve_blit = _Blit(self.curve_figure, {line.axes: [line] for line, _x in self._curves.values()})
        self.curve_image.value = self._curve_blit.png()

    def _show(self, update: Update) -> None:
        s = self.session
        self._score_im.set_data(_for_display(update.score.values))
        self._ok_im.set_data(_for_display(update.eligible.values).astype(np.uint8))
        label = "preview" if update.change.level == "preview" and s.preview_step > 1 else "full resolution"
        self.map_image.value = self._map_blit.png()
        self.redraws += 1
        self._sync_widgets()
        weights = s.weights()
        for name, lab in self._weight_labels.items():
            lab.value = f"{100 * weights[name]:.1f} %"
        ch = update.change
        grid_note = f", 1 in {s.preview_step}×{s.preview_step} pixels" if label == "preview" else ""
        lines = [f"<b>Eligible:</b> {ch.eligible_ha:,.0f} ha ({label}{grid_note})",
                 f"<b>What changed</b> ({html.escape(ch.edit)}): {html.escape(ch.text())}"]
        if s.ahp is not None:
            ok = ("consistent" if s.ahp.cr <= 0.10
                  else "<span style='color:#b00'>inconsistent (&gt; 0.10)</span>")
            lines.append(f"<b>AHP consistency ratio:</b> {s.ahp.cr:.3f} — {ok}")
            if s.ahp_note:
                lines.append(html.escape(s.ahp_note))
        if self.error:
            lines.append(f"<span style='color:#b00'><b>Not applied:</b> {html.escape(self.error)}</span>")
        self.status.value = "<br>".join(lines)
        if update.ranking is not None:
            top = update.ranking.head(max(s.top_k, 1)).copy()
            top["score"] = top["score"].round(4)
            top["eligible_area_ha"] = top["eligible_area_ha"].round(1)
            top["rank"] = top["rank"].astype("Int64")
            self.top_parcels.value = f"<b>Top {s.top_k} parcels</b> ({label})" + top.to_html()

    def _draw_curves(self, name: str) -> None:
        line, x = self._curves[name]
        fn = next(c.function for c in self.session.base_model.criteria if c.name == name)
        line.set_data(x, fn.apply(x))
        self.curve_image.value = self._curve_blit.png([line.axes])

    # ------------------------------------------------------------------ events
    def _on(self, edit: Callable[[Any], Update]) -> Callable[[Mapping[str, Any]], None]:
        def handler(change: Mapping[str, Any]) -> None:
            if self._syncing:
                return
            try:
                update = edit(change["new"])
            except SteppeGeoError as exc:  # shown in the status line; the model is left as it was
                self.error = str(exc)
                self._show(self.session.last["preview"])
                return
            self.error = ""
            self._show(update)
            self._schedule_release()

        return handler

    def _set_parameter(self, criterion: str, parameter: str, value: float) -> Update:
        fn = next(c.function for c in self.session.base_model.criteria if c.name == criterion)
        if "[" in parameter:
            field_name, index = parameter[:-1].split("[")
            values = list(getattr(fn, field_name))
            values[int(index)] = value
            update = self.session.set_breakpoints(criterion, level="preview", **{field_name: tuple(values)})
        else:
            update = self.session.set_breakpoints(criterion, level="preview", **{parameter: value})
        self._draw_curves(criterion)
        return update

    def _schedule_release(self) -> None:
        if self.release_delay_s is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (plain Python): "Full resolution" or release() does it
            return
        if self._pending is not None:
            self._pending.cancel()
        self._pending = loop.call_later(self.release_delay_s, self.release)

    def _sync_widgets(self) -> None:
        """Show the session's values in the widgets (AHP sets every weight), without firing edits."""
        self._syncing = True
        try:
            for c in self.session.base_model.criteria:
                w = self.weights[c.name]
                w.max = max(w.max, c.weight)
                w.value = c.weight
        finally:
            self._syncing = False

    # ------------------------------------------------------------------ layout
    def _layout(self) -> widgets.Widget:
        s = self.session
        weight_rows = [widgets.HBox([w, self._weight_labels[n]]) for n, w in self.weights.items()]
        curve_boxes = []
        for c in s.base_model.criteria:
            items = [w for (name, _p), w in self.breakpoints.items() if name == c.name]
            label = widgets.HTML(f"<b>{html.escape(c.name)}</b>: {html.escape(c.function.name)}")
            curve_boxes.append(widgets.VBox([label, *items]))
        constraint_rows = []
        for name, t in self.toggles.items():
            sliders = [w for (n, _b), w in self.thresholds.items() if n == name]
            constraint_rows.append(widgets.HBox([t, *sliders]))
        tabs = [("Weights", widgets.VBox([*weight_rows, self.rule])),
                ("Value functions", widgets.VBox([
                    self.curve_image, widgets.HBox(curve_boxes, layout={"flex_flow": "row wrap"})])),
                ("Constraints", widgets.VBox(constraint_rows))]
        if self.judgements:
            tabs.append(("AHP judgements", widgets.VBox(list(self.judgements.values()))))
        tabs.append(("Export", widgets.VBox([self.export_button, self.export_text])))
        tab = widgets.Tab(children=[t[1] for t in tabs])
        for i, (title, _w) in enumerate(tabs):
            tab.set_title(i, title)
        return widgets.VBox([self.map_image, widgets.HBox([self.release_button]), self.status, tab,
                             self.top_parcels])


def _layer_points(fn: Any) -> list[float]:
    """The parameters of a value function given in the layer's units (its breakpoints)."""
    out: list[float] = []
    for f in dataclasses.fields(fn):
        if f.name in _LAYER_PARAMETERS:
            value = getattr(fn, f.name)
            out += [float(v) for v in value] if isinstance(value, tuple) else [float(value)]
    return out


def _model_rules(model: Any) -> list[str]:
    """The rules a model can take (OWA needs order weights, which a :class:`Model` does not carry)."""
    out = []
    for r in Rule:
        try:
            dataclasses.replace(model, rule=r.value)
        except SteppeGeoError:
            continue
        out.append(r.value)
    return out


def _gap(x: np.ndarray) -> float:
    """Smallest gap between sorted distinct values (bar width of a categorical histogram)."""
    return float(np.min(np.diff(x))) if x.size > 1 else 1.0
