"""Server-built Plotly figures for registry pages."""

from __future__ import annotations

import plotly.graph_objects as go

from registry.selectors import LineageGraph

_COLORS = {"model_version": "#2563eb", "dataset_version": "#059669"}


def _levels(graph: LineageGraph) -> dict[str, int]:
    """Signed distance from the root: upstream nodes negative, downstream positive."""
    levels = {graph.root: 0}
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for source, target, _ in graph.edges:
        outgoing.setdefault(source, []).append(target)
        incoming.setdefault(target, []).append(source)
    for neighbours, step in ((incoming, -1), (outgoing, 1)):
        frontier = [graph.root]
        while frontier:
            next_frontier = []
            for node in frontier:
                for other in neighbours.get(node, []):
                    if other not in levels:
                        levels[other] = levels[node] + step
                        next_frontier.append(other)
            frontier = next_frontier
    for node in graph.nodes:
        levels.setdefault(node, 0)
    return levels


def lineage_figure(graph: LineageGraph) -> go.Figure:
    levels = _levels(graph)
    by_level: dict[int, list[str]] = {}
    for node_id in sorted(graph.nodes):
        by_level.setdefault(levels[node_id], []).append(node_id)
    position = {}
    for level, node_ids in by_level.items():
        for index, node_id in enumerate(node_ids):
            position[node_id] = (level, index - (len(node_ids) - 1) / 2)

    fig = go.Figure()
    for source, target, relation in sorted(graph.edges):
        (x0, y0), (x1, y1) = position[source], position[target]
        fig.add_annotation(
            x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.5, arrowcolor="#94a3b8",
            standoff=14, startstandoff=14, hovertext=relation, text="",
        )  # fmt: skip
    for kind, color in _COLORS.items():
        ids = [n for n in sorted(graph.nodes) if graph.nodes[n]["kind"] == kind]
        if not ids:
            continue
        fig.add_trace(
            go.Scatter(
                x=[position[n][0] for n in ids],
                y=[position[n][1] for n in ids],
                mode="markers+text",
                text=[graph.nodes[n]["label"] for n in ids],
                textposition="bottom center",
                marker={
                    "size": [22 if n == graph.root else 16 for n in ids],
                    "color": color,
                    "symbol": "circle" if kind == "model_version" else "square",
                    "line": {"width": 2, "color": "#0f172a"},
                },
                name="Model version" if kind == "model_version" else "Dataset version",
                hovertext=[graph.nodes[n]["label"] for n in ids],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 20, "r": 20, "t": 20, "b": 20},
        xaxis={"visible": False},
        yaxis={"visible": False},
        plot_bgcolor="white",
        legend={"orientation": "h"},
    )
    return fig
