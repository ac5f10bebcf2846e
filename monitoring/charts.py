"""Server-built Plotly figures for the monitoring pages, each with the numbers behind it.

Every builder returns a :class:`Chart`: the figure (a plain JSON-able dict rendered by
``static/js/charts.js``) plus ``columns`` and ``rows`` — the same numbers, shown as a table under
the chart and downloadable as CSV. Missing values are ``None`` (never NaN, which JSON lacks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import plotly.graph_objects as go

COLORS = {"reference": "#64748b", "current": "#2563eb", "drift": "#dc2626", "ok": "#059669"}
QUALITY_SERIES = (
    ("nulls", "Nulls", "#94a3b8"),
    ("type_mismatches", "Type mismatches (skipped)", "#d97706"),
    ("unseen_categories", "Unseen categories", "#7c3aed"),
    ("out_of_range", "Outside the reference range", "#dc2626"),
)
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION_METRICS = ("mae", "rmse", "mape", "r2")


@dataclass
class Chart:
    key: str
    title: str
    figure: dict
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    empty_text: str = "No data yet."

    @property
    def is_empty(self) -> bool:
        return not self.rows


def _layout(fig: go.Figure, *, height: int = 340, **extra) -> dict:
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 20, "t": 30, "b": 50},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.2},
        **extra,
    )
    fig.update_xaxes(gridcolor="#e2e8f0")
    fig.update_yaxes(gridcolor="#e2e8f0")
    return fig.to_plotly_json()


def _number(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def drift_share_chart(runs: list, threshold: float) -> Chart:
    """Share of drifted features per window, with the dataset-drift threshold line."""

    def share(run):
        return _number(run.drift_share) if run.n_tested else None  # no data: a gap, not 0

    rows = [
        [
            run.window_start,
            run.window_end,
            share(run),
            run.dataset_drift,
            run.n_drifted,
            run.n_tested,
            run.current_rows,
        ]
        for run in runs
    ]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[run.window_end for run in runs],
            y=[share(run) for run in runs],
            mode="lines+markers",
            name="Drift share",
            line={"color": COLORS["current"]},
            marker={
                "size": 9,
                "color": [COLORS["drift"] if run.dataset_drift else COLORS["ok"] for run in runs],
            },
            customdata=[[run.n_drifted, run.n_tested, run.current_rows] for run in runs],
            hovertemplate="%{x}<br>drift share %{y:.2f}<br>%{customdata[0]} of %{customdata[1]}"
            " features drifted<br>%{customdata[2]} rows<extra></extra>",
        )
    )
    fig.add_hline(
        y=threshold,
        line_dash="dash",
        line_color=COLORS["drift"],
        annotation_text=f"threshold {threshold:g}",
        annotation_position="top left",
    )
    figure = _layout(fig, yaxis={"range": [0, 1.05], "title": "share of drifted features"})
    return Chart(
        key="drift-share",
        title="Dataset drift share over time",
        figure=figure,
        columns=[
            "window_start",
            "window_end",
            "drift_share",
            "dataset_drift",
            "n_drifted",
            "n_tested",
            "rows",
        ],
        rows=rows,
        empty_text="No completed runs yet: run now or backfill.",
    )


def feature_heatmap_chart(runs: list) -> Chart:
    """Drift severity (1 = at the threshold) per feature and window."""
    features = sorted({f.feature for run in runs for f in run.features.all()})
    z = [[None] * len(runs) for _ in features]
    hover = [[""] * len(runs) for _ in features]
    rows = []
    index = {name: i for i, name in enumerate(features)}
    for column, run in enumerate(runs):
        for result in run.features.all():
            i = index[result.feature]
            z[i][column] = _number(result.severity)
            score = (
                f"p={result.p_value:.3g}"
                if result.p_value is not None
                else f"stat={result.statistic:.3g}"
                if result.statistic is not None
                else result.status
            )
            hover[i][column] = (
                f"{result.feature} · {result.method or '-'} {score}"
                f"{' · drifted' if result.drifted else ''}"
            )
            rows.append(
                [
                    run.window_end,
                    result.feature,
                    result.method,
                    _number(result.statistic),
                    _number(result.p_value),
                    _number(result.threshold),
                    _number(result.severity),
                    result.drifted,
                    result.status,
                ]
            )
    fig = go.Figure(
        go.Heatmap(
            x=[run.window_end for run in runs],
            y=features,
            z=z,
            text=hover,
            hovertemplate="%{x}<br>%{text}<br>severity %{z:.2f}<extra></extra>",
            zmin=0,
            zmax=2,
            colorscale=[[0, "#ecfdf5"], [0.5, "#fde68a"], [0.5001, "#fca5a5"], [1, "#991b1b"]],
            colorbar={"title": "severity"},
            xgap=1,
            ygap=1,
        )
    )
    figure = _layout(fig, height=max(260, 60 + 28 * len(features)))
    return Chart(
        key="heatmap",
        title="Drift severity per feature and window (1 = threshold)",
        figure=figure,
        columns=[
            "window_end",
            "feature",
            "method",
            "statistic",
            "p_value",
            "threshold",
            "severity",
            "drifted",
            "status",
        ],
        rows=rows,
        empty_text="No completed runs yet.",
    )


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def distribution_chart(result) -> Chart:
    """Reference and current distributions of one feature in one run, overlaid."""
    if result is None or not result.reference_histogram or not result.current_histogram:
        message = "This feature was not tested in this run."
        if result is not None and result.message:
            message = f"Not tested: {result.message}"
        return Chart(key="distribution", title="Distribution", figure={}, empty_text=message)
    reference, current = result.reference_histogram, result.current_histogram
    ref_counts, cur_counts = reference["counts"], current["counts"]
    if reference.get("edges"):
        edges = reference["edges"]
        x = [(edges[i] + edges[i + 1]) / 2 for i in range(len(edges) - 1)]
        widths = [edges[i + 1] - edges[i] for i in range(len(edges) - 1)]
        labels = [f"[{edges[i]:.4g}, {edges[i + 1]:.4g})" for i in range(len(edges) - 1)]
    else:
        x = [str(value) for value in reference["values"]]
        widths = None
        labels = x
    ref_shares, cur_shares = _shares(ref_counts), _shares(cur_counts)
    fig = go.Figure()
    for name, shares, counts in (
        ("reference", ref_shares, ref_counts),
        ("current", cur_shares, cur_counts),
    ):
        fig.add_trace(
            go.Bar(
                x=x,
                y=shares,
                width=widths,
                name=name.capitalize(),
                marker_color=COLORS[name],
                opacity=0.55,
                customdata=counts,
                hovertemplate="%{x}<br>share %{y:.3f} (%{customdata} rows)<extra>"
                + name
                + "</extra>",
            )
        )
    verdict = "drifted" if result.drifted else "no drift"
    title = f"{result.feature}: {result.method or '-'}"
    if result.p_value is not None:
        title += f" p={result.p_value:.3g}"
    elif result.statistic is not None:
        title += f" {result.statistic:.3g}"
    figure = _layout(
        fig,
        barmode="overlay",
        bargap=0.05,
        title={"text": f"{title} ({verdict})", "font": {"size": 13}},
        yaxis={"title": "share of rows"},
    )
    rows = [
        [label, rc, _number(rs), cc, _number(cs)]
        for label, rc, rs, cc, cs in zip(
            labels, ref_counts, ref_shares, cur_counts, cur_shares, strict=True
        )
    ]
    return Chart(
        key="distribution",
        title=f"Reference vs current: {result.feature}",
        figure=figure,
        columns=[
            "bin_or_value",
            "reference_count",
            "reference_share",
            "current_count",
            "current_share",
        ],
        rows=rows,
    )


def quality_chart(batches: list[dict]) -> Chart:
    """Data-quality problems per batch (stacked) and the batch sizes."""
    x = [batch["first_timestamp"] for batch in batches]
    fig = go.Figure()
    for key, label, color in QUALITY_SERIES:
        fig.add_trace(
            go.Bar(
                x=x,
                y=[(batch["quality"].get("totals") or {}).get(key, 0) for batch in batches],
                name=label,
                marker_color=color,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[batch["row_count"] for batch in batches],
            name="Rows stored",
            yaxis="y2",
            mode="lines+markers",
            line={"color": "#0f172a", "width": 1},
        )
    )
    figure = _layout(
        fig,
        barmode="stack",
        yaxis={"title": "values with a problem"},
        yaxis2={
            "title": "rows",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
        },
    )
    rows = []
    for batch in batches:
        totals = batch["quality"].get("totals") or {}
        rows.append(
            [
                batch["pk"],
                batch["first_timestamp"],
                batch["last_timestamp"],
                batch["row_count"],
                batch["skipped_rows"],
                *[totals.get(key, 0) for key, _, _ in QUALITY_SERIES],
            ]
        )
    return Chart(
        key="quality",
        title="Data quality per batch",
        figure=figure,
        columns=[
            "batch",
            "first_timestamp",
            "last_timestamp",
            "rows",
            "skipped_rows",
            *[key for key, _, _ in QUALITY_SERIES],
        ],
        rows=rows,
        empty_text="No batches ingested yet.",
    )


def performance_chart(runs: list) -> Chart:
    """Model performance per window, from the predictions that have a ground-truth label."""
    with_labels = [run for run in runs if run.performance and run.performance.get("n")]
    names = [
        name
        for name in (*CLASSIFICATION_METRICS, *REGRESSION_METRICS)
        if any(run.performance.get(name) is not None for run in with_labels)
    ]
    fig = go.Figure()
    for name in names:
        fig.add_trace(
            go.Scatter(
                x=[run.window_end for run in with_labels],
                y=[_number(run.performance.get(name)) for run in with_labels],
                mode="lines+markers",
                name=name,
            )
        )
    figure = _layout(fig, yaxis={"title": "metric"}) if with_labels else {}
    rows = [
        [run.window_end, run.labelled_rows, *[_number(run.performance.get(n)) for n in names]]
        for run in with_labels
    ]
    return Chart(
        key="performance",
        title="Performance over time (labelled predictions)",
        figure=figure,
        columns=["window_end", "labelled_rows", *names],
        rows=rows,
        empty_text="No ground-truth labels matched this monitor's predictions yet.",
    )
