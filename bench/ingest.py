"""Ingest benchmark: the week's core snapshot of generated postings by
salarytrends, DuckDB (bench/ingest_duckdb.py) and pandas
(bench/ingest_baseline.py), on the same file and week, in the same run,
interleaved (one run of each program in turn, --runs rounds).

salarytrends runs with `[dedup] window_days = 0`, so that every program does
the same work (no repost chaining), and again with the default 60 days to
show what reposts cost on top. Before timing, the per-role open counts and
medians of the three are compared: DuckDB and pandas must agree exactly,
and salarytrends within --tolerance (it rejects rows the baselines keep:
repeated ids, impossible dates; `rejected.csv` names them).

Reports the median and range of the wall time and the largest peak memory
(max RSS) of each program, at each size. A size is ROWS:WEEKS: 3,000,000
postings over 48 weeks have the weekly volume of 1,000,000 over 16 (a file
that grows with time), 3,000,000 over 16 three times the jobs open in a
week (a file that grows with the market).

usage: python3 bench/ingest.py [--sizes 1000000:16 3000000:48 3000000:16] [--runs 3] [--bin target/release/salarytrends]
needs: pip install duckdb pandas
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import measure_out  # noqa: E402

WEEK, MONDAY = "2026-W47", "2026-11-16"


def config(d: Path, window: int) -> str:
    name = f"w{window}.toml"
    (d / name).write_text(
        'postings = "data/postings.csv"\nroles = "data/roles.toml"\nfx = "data/fx.toml"\n'
        f'snapshots_dir = "snap{window}"\noutput_dir = "out"\n[dedup]\nwindow_days = {window}\n')
    return name


def figures_of_snapshot(path: Path) -> dict:
    s = json.loads(path.read_text())
    return {r["name"]: {"open": r["open_positions"], "median": r["salary"]["median"]} for r in s["roles"]}


def compare(ours: dict, duck: dict, pandas: dict, tolerance: float) -> str:
    for name, f in duck.items():
        p = pandas[name]
        if f["open"] != p["open"] or abs((f["median"] or 0) - (p["median"] or 0)) > 1e-6 * max(1, abs(p["median"] or 0)):
            sys.exit(f"DuckDB and pandas disagree on {name}: {f} vs {p}")
    worst_open = worst_median = 0.0
    for name, f in ours.items():
        b = duck[name]
        worst_open = max(worst_open, abs(f["open"] - b["open"]) / b["open"])
        if f["median"] is not None and b["median"] is not None:
            worst_median = max(worst_median, abs(f["median"] - b["median"]) / b["median"])
    if max(worst_open, worst_median) > tolerance:
        sys.exit(f"salarytrends and the baselines differ by more than {tolerance:.1%}: open {worst_open:.2%}, median {worst_median:.2%}")
    return f"{len(ours)} roles: open counts within {worst_open:.2%}, medians within {worst_median:.2%} of DuckDB's; DuckDB = pandas exactly"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["1000000:16", "3000000:48", "3000000:16"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tolerance", type=float, default=0.005)
    ap.add_argument("--bin", default=str(HERE.parent / "target/release/salarytrends"))
    args = ap.parse_args()
    binary = str(Path(args.bin).resolve())
    print(f"{os.cpu_count()} cores; {args.runs} interleaved runs each; week {WEEK}")
    ours_rss = {}
    for size in args.sizes:
        rows, weeks = (int(x) for x in size.split(":"))
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            subprocess.run([binary, "-q", "gen-data", "--out", str(d / "data"), "--rows", str(rows),
                            "--weeks", str(weeks), "--roles", "20", "--subscribers", "0"], check=True)
            mib = (d / "data/postings.csv").stat().st_size / 2**20
            inputs = ["data/postings.csv", "data/roles.toml", MONDAY, "data/fx.toml"]
            programs = {
                "salarytrends snapshot (window_days = 0)":
                    [binary, "-q", "--config", config(d, 0), "snapshot", "--week", WEEK, "--recompute"],
                "salarytrends snapshot (reposts chained, 60 days)":
                    [binary, "-q", "--config", config(d, 60), "snapshot", "--week", WEEK, "--recompute"],
                "DuckDB (read_csv + SQL, quantile_cont)": [sys.executable, str(HERE / "ingest_duckdb.py"), *inputs],
                "pandas (read_csv + groupby quantile)": [sys.executable, str(HERE / "ingest_baseline.py"), *inputs],
            }
            times = {k: [] for k in programs}
            rss = {k: 0.0 for k in programs}
            outputs = {}
            for _ in range(args.runs):
                for name, cmd in programs.items():
                    wall, peak, out = measure_out(cmd, d)
                    times[name].append(wall)
                    rss[name] = max(rss[name], peak)
                    outputs[name] = out
            names = list(programs)
            agreement = compare(
                figures_of_snapshot(d / "snap0" / f"{WEEK}.json"),
                json.loads(outputs[names[2]])["roles"],
                json.loads(outputs[names[3]])["roles"],
                args.tolerance,
            )
        duck = statistics.median(times[names[2]])
        ours_rss[size] = rss[names[0]]
        print(f"\n{rows:,} postings over {weeks} weeks ({mib:.0f} MiB CSV): {agreement}")
        print("| program | wall time (median, min–max) | peak memory | vs DuckDB |")
        print("| --- | --- | --- | --- |")
        for name in names:
            t = times[name]
            med = statistics.median(t)
            print(f"| {name} | {med:.2f} s ({min(t):.2f}–{max(t):.2f}) | {rss[name]:,.0f} MiB | {duck / med:.2f}× |")
    first = args.sizes[0]
    for size in args.sizes[1:]:
        print(f"salarytrends (window_days = 0) peak memory at {size} / at {first}: {ours_rss[size] / ours_rss[first]:.2f}×")


if __name__ == "__main__":
    main()
