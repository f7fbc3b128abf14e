"""Report benchmark: `salarytrends report --all` for every pair of 20 roles
(190 PDFs) against the typst command line compiling the same
`--emit-source` folders, one process per report, in the same run.

Both sides use both cores (the typst processes run two at a time), and both
are run three times, taking turns, and the best run of each is reported.
Reports wall time per report and peak memory (max RSS), and checks that the
two PDFs of one pair carry the same text.

usage: python3 bench/reports.py [--bin target/release/salarytrends] [--typst typst]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import measure  # noqa: E402


def text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(HERE.parent / "target/release/salarytrends"))
    ap.add_argument("--typst", default=shutil.which("typst") or "/work/tools/typst/bin/typst")
    ap.add_argument("--roles", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    binary = str(Path(args.bin).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run([binary, "-q", "gen-data", "--out", "data", "--roles", str(args.roles),
                        "--subscribers", "0"], cwd=d, check=True)
        (d / "salarytrends.toml").write_text('snapshots_dir = "snap"\noutput_dir = "out"\n')
        subprocess.run([binary, "-q", "--as-of", "2026-11-28", "snapshot", "--weeks", "2026-W36..2026-W47"],
                       cwd=d, check=True)
        report = [binary, "-q", "report", "--all", "--week", "2026-W47"]
        measure(report + ["--emit-source", "src"], d)  # also warms the page cache
        pairs = len(list((d / "out/2026-W47/reports").glob("*.pdf")))
        folders = sorted(p for p in (d / "src").iterdir() if p.is_dir())
        assert len(folders) == pairs, (len(folders), pairs)

        def cli(folder: Path):
            return measure([args.typst, "compile", "--font-path", "fonts", "--ignore-system-fonts",
                        "--creation-timestamp", "1795305600", "report.typ", "cli.pdf"], folder)

        def cli_batch():
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                results = list(pool.map(cli, folders))
            return time.perf_counter() - start, max(r[1] for r in results)

        # Both sides the same way: three runs each, taking turns, best kept
        # (the machine's speed drifts by ±20 % from minute to minute).
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(measure(report, d))
            theirs.append(cli_batch())
        ours, ours_rss = min(ours)
        theirs, theirs_rss = min(theirs)
        sample = folders[0]
        same = text(sample / "cli.pdf") == text(d / "out/2026-W47/reports" / (sample.name + ".pdf"))
        version = subprocess.run([args.typst, "--version"], capture_output=True, text=True).stdout.strip()

    print(f"{pairs} role-pair reports ({args.roles} roles), {os.cpu_count()} cores, {version}")
    print("| program | total | per report | peak memory |")
    print("|---|---|---|---|")
    print(f"| salarytrends report --all (one process, typst as a library) | {ours:.2f} s | {ours / pairs * 1000:.1f} ms | {ours_rss:.0f} MiB |")
    print(f"| typst compile, one process per report (2 at a time) | {theirs:.2f} s | {theirs / pairs * 1000:.1f} ms | {theirs_rss:.0f} MiB per process |")
    print(f"speed-up per report: {theirs / ours:.1f}x; same text in both PDFs of {sample.name}: {same}")


if __name__ == "__main__":
    main()
