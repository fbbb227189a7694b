"""`make bench`: every benchmark in turn, then one table with each figure against its target
(see benchmarks/README.md). Ratios are against baselines measured in the same run.

    python -m benchmarks [--quick]     --quick: fewer runs, 5,000 changes for sync,
                                       a tenth of the hostile load
"""

from __future__ import annotations

import sys

from benchmarks import cli_latency, scale, sealing, session, sync_throughput

quick = "--quick" in sys.argv
table: list[tuple[str, str, str, str]] = []  # what, figure, target, ok


def row(what: str, figure: str, target: str, ok: bool | None) -> None:
    table.append((what, figure, target, "-" if ok is None else ("ok" if ok else "NO")))


print("== CLI latency (unlocked session)", flush=True)
for label, value, ratio, target in cli_latency.run():
    row(
        f"cli: {label}",
        f"{value * 1000:.0f} ms = {ratio:.1f}x",
        f"<= {target:.0f}x",
        ratio <= target,
    )
unlock = cli_latency.LAST.get("unlock")
if unlock is not None:
    row("cli: unlock (Argon2id, once a session)", f"{unlock * 1000:.0f} ms", "reported", None)

print("\n== The interactive session against taskwarrior (issue 18)", flush=True)
working = session.run(10 if quick else session.RUNS, 200 if quick else session.COMMANDS)
session.report(working)
for r in working["rows"]:
    what = f"session: {r['name']} vs {r['baseline_name']}"
    if r["ratio"] is None:
        row(what, f"{r['session'] * 1000:.0f} ms", "not measured", None)
    else:
        figure = f"{r['session'] * 1000:.0f} ms = {r['ratio']:.2f}x"
        row(what, figure, f"<= {r['target']:.0f}x", r["ratio"] <= r["target"])
    shot = f"{r['one_shot'] * 1000:.0f} ms"
    row(f"one-shot: {r['name']} (same terminal)", shot, "reported", None)
opened = f"{working['opening'] * 1000:.0f} ms"
row("session: opening (passphrase, Argon2id)", opened, "reported", None)
growth = working["rss_all"] / working["rss_10"]
row(
    f"session: RSS after 10 / {working['commands']:,} commands",
    f"{working['rss_10'] / 1024:.0f} / {working['rss_all'] / 1024:.0f} MiB = {growth:.2f}x",
    "<= 1.20x",
    growth <= 1.2,
)

print("\n== Scale", flush=True)
rows = scale.run(2 if quick else scale.RUNS)
scale.report(rows)
for r in rows:
    ok = r["ratio"] <= scale.TARGET and r["rss"] < scale.RSS_LIMIT_MB
    figure = f"{r['large'] * 1000:.0f} ms = {r['ratio']:.2f}x, {r['rss']:.0f} MB"
    row(f"scale: {r['name']}", figure, f"<= {scale.TARGET:.0f}x, < 150 MB", ok)

print("\n== Sync throughput", flush=True)
figures = sync_throughput.run(5_000 if quick else sync_throughput.CHANGES)
sync_throughput.report(figures)
row(
    f"sync: {figures['changes']:,} changes end to end",
    f"{figures['seconds']:.1f} s = {figures['ratio']:.0f}x",
    f"<= {sync_throughput.TARGET:.0f}x",
    figures["ratio"] <= sync_throughput.TARGET,
)
row(
    "sync: storage floor (encrypted tables + change log)",
    f"{figures['floor'] * 1000:.0f} ms = {figures['floor_ratio']:.1f}x",
    "reported",
    None,
)
row(
    "sync: peak RSS worker / server",
    f"{figures['client_rss_mb']:.0f} / {figures['server_rss_mb']:.0f} MB",
    "bounded",
    None,
)

print("\n== Sealing the case team's texts (issue 16)", flush=True)
sealed = sync_throughput.run(5_000 if quick else sync_throughput.CHANGES, sealed=True)
sync_throughput.report(sealed)
row(
    f"sync, sealed: {sealed['changes']:,} changes end to end",
    f"{sealed['seconds']:.1f} s = {sealed['ratio']:.0f}x",
    f"<= {sync_throughput.TARGET:.0f}x",
    sealed["ratio"] <= sync_throughput.TARGET,
)
per_change = sealing.per_change(300 if quick else 2000)
shown = sealing.case_show(3 if quick else 7)
sealing.report(per_change, shown)
row(
    "sealing: seal + open per follow-up",
    f"{(per_change['seal'] + per_change['open']) * 1e6:.0f} us = {per_change['ratio']:.0f}x row",
    "reported",
    None,
)
row(
    f"case show, {sealing.CASE_SHOW_FOLLOWUPS} follow-ups: sealed / clear",
    f"{shown['sealed'] * 1000:.0f} ms = {shown['ratio']:.2f}x",
    "reported",
    None,
)

try:
    from benchmarks import load_server
except ImportError:
    load_server = None
if load_server is not None and hasattr(load_server, "run"):
    print("\n== Server load", flush=True)
    load = load_server.run(*((50, 50) if quick else ()))
    errors = int(load.get("errors", 0))
    scope = f"{load['workers']} workers x {load['changes_per_worker']} changes"
    row(f"server: {scope}, errors", str(errors), "0", errors == 0)
    if "p50_ms" in load and "p95_ms" in load:
        figure = f"{load['p50_ms']:.0f} / {load['p95_ms']:.0f} ms"
        row("server: round trip p50 / p95", figure, "reported", None)

print("\n== Hostile load (one worker syncing while the server is attacked)", flush=True)
from benchmarks import hostile_load  # noqa: E402

hostile = hostile_load.run(0.1 if quick else 1.0)
for name, r in hostile["attacks"].items():
    ok = hostile_load.verdicts(r, hostile["baseline"])
    ratio = r["p95_ms"] / (hostile["baseline"]["p95_ms"] or 1.0)
    row(f"hostile {name}: syncs ok", f"{r['ok']}/{r['syncs']}", "100%", ok["syncs"])
    row(f"hostile {name}: p95 vs quiet", f"{r['p95_ms']:.0f} ms = {ratio:.1f}x", "<= 3x", ok["p95"])
    figure = f"{r['peak_rss_mib']:.0f} / {r['rss_after_mib']:.0f} MiB"
    target = f"< 512, <= {hostile['baseline']['rss_mib'] * 1.2:.0f}"
    row(f"hostile {name}: peak / after RSS", figure, target, ok["rss"] and ok["recovery"])
    row(f"hostile {name}: log", f"{r['log_bytes'] / 1024:.0f} KiB", "< 1 MiB", ok["log"])
row("hostile: tracebacks", str(hostile["tracebacks"]), "0", hostile["tracebacks"] == 0)

width = max(len(what) for what, *_ in table)
print("\n== Summary")
print(f"{'benchmark':{width}}  {'figure':>24}  {'target':>18}  ok")
for what, figure, target, ok in table:
    print(f"{what:{width}}  {figure:>24}  {target:>18}  {ok}")
