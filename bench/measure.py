"""Shared by the benchmarks: wall time and peak memory of one process."""
import os
import subprocess
import sys
import time


def measure(cmd, cwd):
    """Wall seconds and max RSS (MiB) of one run of cmd; exits on failure."""
    wall, rss, _ = measure_out(cmd, cwd)
    return wall, rss


def measure_out(cmd, cwd):
    """Like measure, and the process's standard output as text."""
    import tempfile
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(map(str, cmd))}\n{err.read().decode()}")
        return wall, usage.ru_maxrss / 1024, out.read().decode()
