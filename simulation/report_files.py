"""The day's report written out: the table `python -m simulation` prints, and the files
of the report folder (`report.md`, `queue-lengths.svg`, `tickets.csv`, `summary.json`),
from the figures of `simulation.report`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulation.mall import DayRun
from simulation.report import TicketRow, queue_chart, rows_of, summarize


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def goals_line(summary: dict[str, Any]) -> str:
    """The estimate's day against the goals of issue #16, and the old estimate's."""
    overall, goals = summary["overall"], summary["goals"]
    return (
        f"The range holds the real wait for {_share(overall['estimate_coverage'])} of "
        f"tickets (goal: at least {goals['coverage']:.0%}: "
        f"{'met' if goals['coverage_met'] else 'NOT met'}); the estimate is off by "
        f"{_minutes(overall['estimate_mae'])} min on average (goal: at most "
        f"{goals['mae_minutes']:g}: {'met' if goals['mae_met'] else 'NOT met'}), bias "
        f"{_signed(overall['estimate_bias'])} min. The old estimate (one number, before "
        f"the range): off by {_minutes(overall['old_estimate_mae'])} min, bias "
        f"{_signed(overall['old_estimate_bias'])} min. Knowing the simulation's own mean "
        f"service times, which no central can, it would be off by "
        f"{_minutes(overall['true_means_mae'])} min: the floor for an estimate made of means."
    )


def table(summary: dict[str, Any]) -> str:
    """The summary as a plain-text table (what the command prints)."""
    estimate = (
        f"{'est MAE':>7} {'bias':>6} {'in range':>8} {'width':>5} | {'old MAE':>7} {'bias':>6}"
    )
    lines = [
        f"{'service':<8} {'issued':>6} {'served':>6} {'skip':>4} {'left':>4} | "
        f"{'wait mean':>9} {'p90':>6} | {estimate} | {'n':>4}",
    ]

    def figures(part: dict[str, Any]) -> str:
        return (
            f"{_minutes(part['estimate_mae']):>7} {_signed(part['estimate_bias']):>6} "
            f"{_share(part['estimate_coverage']):>8} {_minutes(part['estimate_width']):>5} | "
            f"{_minutes(part['old_estimate_mae']):>7} {_signed(part['old_estimate_bias']):>6}"
        )

    def row(label: str, part: dict[str, Any]) -> str:
        return (
            f"{label:<8} {part['issued']:>6} {part['finished']:>6} {part['skipped']:>4} "
            f"{part['waiting_at_end']:>4} | {_minutes(part['wait_mean']):>9} "
            f"{_minutes(part['wait_p90']):>6} | {figures(part)} | {part['estimate_n']:>4}"
        )

    for service in summary["services"]:
        lines.append(row(service["prefix"], service))
    overall = summary["overall"]
    states = summary["states"]
    lines.append(
        row(
            "all",
            {
                **overall,
                "issued": summary["issued"],
                "finished": states.get("finished", 0),
                "skipped": states.get("skipped", 0),
                "waiting_at_end": states.get("waiting", 0),
            },
        )
    )
    lines.append("")
    lines.append(f"{'issued at':<9} {'issued':>6} | {'wait mean':>9} | {estimate}")
    for hour in summary["hours"]:
        lines.append(
            f"{hour['hour']:02d}:00    {hour['issued']:>6} | {_minutes(hour['wait_mean']):>9} | "
            f"{figures(hour)}"
        )
    goals = summary["goals"]
    lines += [
        "",
        f"goal     in range >= {goals['coverage']:.0%}, est MAE <= {goals['mae_minutes']:g} min: "
        f"{_share(overall['estimate_coverage'])} "
        f"({'met' if goals['coverage_met'] else 'NOT met'}), "
        f"{_minutes(overall['estimate_mae'])} min ({'met' if goals['mae_met'] else 'NOT met'}; "
        f"{_minutes(overall['true_means_mae'])} knowing the true means)",
    ]
    return "\n".join(lines)


def _md_figures(part: dict[str, Any]) -> str:
    return (
        f"{_minutes(part['estimate_mae'])} | {_signed(part['estimate_bias'])} | "
        f"{_share(part['estimate_coverage'])} | {_minutes(part['estimate_width'])} | "
        f"{_minutes(part['old_estimate_mae'])} | {_signed(part['old_estimate_bias'])}"
    )


def markdown(summary: dict[str, Any]) -> str:
    overall = summary["overall"]
    within = overall["estimate_within_5_minutes"]
    peak = summary["peak_waiting"]
    refused = ", ".join(f"{k} {v}" for k, v in sorted(summary["refused"].items())) or "none"
    display = summary["display"]
    parts = [
        f"# A simulated day at {summary['site']}, {summary['day']}",
        "",
        f"From {summary['start'][11:16]} to {summary['stopped_at'][11:16]} on the central's "
        f"simulated clock at {summary['speed']:g}x (seed {summary['seed']}, "
        f"{summary['wall_seconds']:g} s of real time), through Mosquitto and the central.",
        "",
        f"- {summary['citizens']} citizens pressed a button ({summary['priority']} priority, "
        f"{summary['no_shows_planned']} did not come when called); {summary['issued']} tickets "
        f"were issued; refused: {refused}.",
        f"- Waits (issue to first call): mean {_minutes(overall['wait_mean'])} min, 90th "
        f"percentile {_minutes(overall['wait_p90'])} min.",
        f"- Printed estimates against the real wait: mean absolute error "
        f"{_minutes(overall['estimate_mae'])} min, bias {_signed(overall['estimate_bias'])} min "
        "(positive: the ticket said longer than it was)"
        + (f", {within:.0%} within 5 minutes." if within is not None else "."),
        f"- {goals_line(summary)}",
        (
            f"- The longest queue: {peak['count']} waiting at {peak['at'][11:16]}."
            if peak
            else "- Nobody queued."
        ),
        f"- Every number once: {'yes' if summary['numbers_unique'] else 'NO'}; every ticket "
        f"served, skipped or still waiting: {'yes' if summary['all_accounted'] else 'NO'}; "
        f"the display heard {display['calls_heard']} of {display['calls_saved']} calls and "
        f"{'shows' if not display['mismatches'] else 'does NOT show'} the central's queues.",
        "",
        "![Waiting over the day](queue-lengths.svg)",
        "",
        "## Per service (minutes)",
        "",
        "| service | true mean service | issued | served | skipped | left waiting | wait mean "
        "| wait p90 | estimate MAE | estimate bias | in range | range width | old MAE "
        "| old bias | n |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: |",
    ]
    for s in summary["services"]:
        parts.append(
            f"| {s['prefix']} {s['name']} | {s['true_minutes']:g} | {s['issued']} | "
            f"{s['finished']} | {s['skipped']} | {s['waiting_at_end']} | "
            f"{_minutes(s['wait_mean'])} | {_minutes(s['wait_p90'])} | {_md_figures(s)} | "
            f"{s['estimate_n']} |"
        )
    parts.append(
        f"| all | | {summary['issued']} | | | | {_minutes(overall['wait_mean'])} | "
        f"{_minutes(overall['wait_p90'])} | {_md_figures(overall)} | {overall['estimate_n']} |"
    )
    parts += [
        "",
        "## Estimate error by the hour the ticket was issued (minutes)",
        "",
        "| hour | issued | wait mean | wait p90 | estimate MAE | estimate bias | in range "
        "| range width | old MAE | old bias |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for h in summary["hours"]:
        parts.append(
            f"| {h['hour']:02d}:00 | {h['issued']} | {_minutes(h['wait_mean'])} | "
            f"{_minutes(h['wait_p90'])} | {_md_figures(h)} |"
        )
    parts += [
        "",
        "The estimate (`docs/queue-rules.md`, Estimates) lets each citizen ahead, and those "
        "of the services sharing the counters, go in turn to the counter free first, at "
        "the mean of the service's recent service times (the site's "
        "`expected_service_minutes` counting as two of them), a citizen already at a "
        "counter taking what is left of the mean; breaks on the way are added. The range "
        "is that +/- 1.28 standard deviations of the service times ahead and of the "
        "mean's own doubt, and 2 minutes, rounded out to 5 minutes. It knows nothing of "
        "the no-shows that shorten a queue, nor of the priority citizens who will come "
        "and go first. The old estimate, for comparison: people ahead times the mean of "
        "the service's last `estimate_window` service times, over its open counters.",
        "",
    ]
    return "\n".join(parts)


def write_csv(rows: Sequence[TicketRow], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "number",
                "service",
                "priority",
                "no_show",
                "kiosk",
                "issued_at",
                "ahead",
                "estimate_minutes",
                "estimate_low_minutes",
                "estimate_high_minutes",
                "old_estimate_minutes",
                "called_at",
                "counter",
                "wait_minutes",
                "error_minutes",
                "state",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row.number,
                    row.service,
                    int(row.priority),
                    int(row.no_show),
                    row.kiosk,
                    row.issued_at.isoformat(timespec="seconds"),
                    row.ahead,
                    "" if row.estimate is None else row.estimate,
                    "" if row.low is None else row.low,
                    "" if row.high is None else row.high,
                    "" if row.old_estimate is None else row.old_estimate,
                    row.called_at.isoformat(timespec="seconds") if row.called_at else "",
                    "" if row.counter is None else row.counter,
                    "" if row.wait is None else f"{row.wait:.2f}",
                    "" if row.error is None else f"{row.error:.2f}",
                    row.state,
                ]
            )


def write_report(run: DayRun, folder: Path) -> dict[str, Any]:
    """Writes the report files into `folder` and returns the summary."""
    folder.mkdir(parents=True, exist_ok=True)
    summary = summarize(run)
    (folder / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "queue-lengths.svg").write_text(queue_chart(run), encoding="utf-8")
    (folder / "report.md").write_text(markdown(summary), encoding="utf-8")
    write_csv(rows_of(run), folder / "tickets.csv")
    return summary
