"""Ingest benchmark: salarytrends snapshot of 1,000,000 generated postings
against a pandas baseline doing the same week's statistics, in the same run.

Reports wall time (best of N) and peak memory (max RSS of the process).
usage: python3 bench/ingest.py [--rows 1000000] [--runs 3] [--bin target/release/salarytrends]
"""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import measure  # noqa: E402


def best(cmd: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    results = [measure(cmd, cwd) for _ in range(runs)]
    return min(r[0] for r in results), max(r[1] for r in results)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bin", default=str(HERE.parent / "target/release/salarytrends"))
    args = ap.parse_args()
    binary = str(Path(args.bin).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run([binary, "-q", "gen-data", "--out", str(d / "data"), "--rows", str(args.rows),
                        "--weeks", "16", "--roles", "20", "--subscribers", "0"], check=True)
        (d / "salarytrends.toml").write_text(
            'postings = "data/postings.csv"\nroles = "data/roles.toml"\nfx = "data/fx.toml"\n'
            'snapshots_dir = "snap"\noutput_dir = "out"\n')
        size = (d / "data/postings.csv").stat().st_size / 2**20
        rows = sum(1 for _ in open(d / "data/postings.csv", "rb")) - 1
        ours = best([binary, "-q", "--config", "salarytrends.toml", "snapshot", "--week", "2026-W47",
                     "--recompute"], d, args.runs)
        base = best([sys.executable, str(HERE / "ingest_baseline.py"), "data/postings.csv",
                     "data/roles.toml", "2026-11-16"], d, args.runs)
    print(f"ingest + snapshot of {rows:,} postings ({size:.0f} MiB CSV), best of {args.runs}, {os.cpu_count()} cores")
    print(f"| program | wall time | peak memory |")
    print(f"|---|---|---|")
    print(f"| salarytrends snapshot | {ours[0]:.2f} s | {ours[1]:.0f} MiB |")
    print(f"| pandas baseline (read_csv + groupby quantile) | {base[0]:.2f} s | {base[1]:.0f} MiB |")
    print(f"speed-up: {base[0] / ours[0]:.1f}x")


if __name__ == "__main__":
    main()
