"""Benchmark the real `build` command: documents/s, sentences/s, MB/s and peak memory per worker count,
plus rule-loading time (warm cache and cold compile). Writes benchmarks/results.md with machine info.

    python benchmarks/run.py                 # India corpus (if ../shared is there) + 10k synthetic articles
    BENCH_LARGE=1 python benchmarks/run.py   # also 100k synthetic articles (long)
    python benchmarks/run.py --runs 1 --sizes 1000 --workers 1,2   # a quick look

BENCH_RUNS, BENCH_SIZES, BENCH_WORKERS set the defaults of the options; BENCH_INDIA the India corpus.

Every figure is the median of ``--runs`` runs of ``python -m coding build`` as a subprocess, writing
real Parquet and CSV. Peak RSS is the largest sum of the resident memory of the build process and its
worker processes, sampled every 0.1 s from /proc (Linux); peak PSS the same for the proportional set size, every 0.5 s. Synthetic corpora (coding/synthetic.py) are
generated in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDIA = Path(os.environ.get("BENCH_INDIA", ROOT.parent / "shared" / "corpus" / "india_police_articles_2002.jsonl"))
PYTHON = [sys.executable, "-m", "coding"]
NOTES_MARKER = "<!-- notes below are kept when benchmarks/run.py rewrites this file -->"


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _proc_kb(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _proc_kb(f"/proc/{pid}/status", "VmRSS:")


def _pss_kb(pid: int) -> int:
    """Proportional set size: a page shared by n processes counts 1/n in each (the forked workers share
    the rules the build process loaded, which RSS counts once per process)."""
    return _proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


class TreeMemory:
    """Peak resident memory (RSS and PSS summed) of a process and its children, sampled in a thread: RSS
    every ``every`` seconds, the children and PSS every ``slow`` seconds. Reading a process's
    ``smaps_rollup`` walks its page tables (about 2 ms for 400 MB) and scanning /proc for children about
    1 ms: every 0.1 s for three processes that was 8% of a core, taken from builds that use both cores."""

    def __init__(self, pid: int, every: float = 0.1, slow: float = 0.5) -> None:
        self.pid, self.every, self.slow, self.peak_kb, self.peak_pss_kb = pid, every, slow, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if not Path("/proc").is_dir():
            return
        pids, last_slow = [self.pid], -self.slow
        while not self._stop.is_set():
            now = time.monotonic()
            slow = now - last_slow >= self.slow
            if slow:
                pids, last_slow = [self.pid, *_children(self.pid)], now
                self.peak_pss_kb = max(self.peak_pss_kb, sum(map(_pss_kb, pids)))
            self.peak_kb = max(self.peak_kb, sum(map(_rss_kb, pids)))
            self._stop.wait(self.every)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self._thread.join()
        return self.peak_kb, self.peak_pss_kb


def run_build(corpus: Path, out: Path, workers: int) -> dict:
    cmd = [*PYTHON, "build", "--input", str(corpus), "--out", str(out), "--workers", str(workers)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    memory = TreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - started
    peak, peak_pss = memory.stop()
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({' '.join(cmd)}):\n{stderr[-2000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    return {"seconds": elapsed, "peak_mb": peak / 1024, "peak_pss_mb": peak_pss / 1024, "documents": manifest["inputs"],
            "sentences": manifest["sentences"], "rules_sha256": manifest["rules_sha256"]}


def time_command(cmd: list[str], env: dict | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpus": os.cpu_count(),
            "cpu model": model, "RAM": ram, "python": platform.python_version(),
            "platform": platform.platform(), "git commit": git("rev-parse", "--short", "HEAD") + dirty,
            "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", ""),
                        help="Synthetic corpus sizes, comma-separated (default 10000; 10000,100000 with BENCH_LARGE=1).")
    parser.add_argument("--workers", default=os.environ.get("BENCH_WORKERS", "1,2"), help="Worker counts (default 1,2).")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "3")), help="Runs per figure (median).")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = parser.parse_args()
    large = os.environ.get("BENCH_LARGE", "") not in ("", "0")
    sizes = [int(s) for s in (args.sizes or ("10000,100000" if large else "10000")).split(",") if s]
    workers = [int(w) for w in args.workers.split(",")]
    info = machine()
    work = Path(tempfile.mkdtemp(prefix="cameo-bench-"))
    try:
        from coding.synthetic import write_corpus

        corpora = []
        if INDIA.exists():
            corpora.append(("India police 2002", INDIA, "../shared/corpus/india_police_articles_2002.jsonl"))
        else:
            print(f"benchmark: {INDIA} not found, India corpus skipped", file=sys.stderr)
        for n in sizes:
            path = write_corpus(work / f"synthetic_{n}.jsonl", n)
            corpora.append((f"synthetic {n:,}", path, f"synthetic_{n}.jsonl (coding/synthetic.py)"))

        print("rule loading ...", file=sys.stderr)
        subprocess.run([*PYTHON, "code", "x"], cwd=ROOT, check=True, capture_output=True)  # warm the cache
        warm = [time_command([*PYTHON, "code", "x"]) for _ in range(args.runs)]
        cold = []
        for i in range(args.runs):
            empty = work / f"cache-{i}"
            empty.mkdir()
            cold.append(time_command([*PYTHON, "code", "x"], env={**os.environ, "CAMEO_ACLED_CACHE": str(empty)}))

        rows = []
        rules = set()
        for name, path, shown in corpora:
            mb = path.stat().st_size / 1e6
            base = None
            for w in workers:
                runs = []
                for r in range(args.runs):
                    print(f"{name}: workers {w}, run {r + 1}/{args.runs} ...", file=sys.stderr)
                    runs.append(run_build(path, work / "out", w))
                seconds = statistics.median(x["seconds"] for x in runs)
                rules.update(x["rules_sha256"] for x in runs)
                docs, sents = runs[0]["documents"], runs[0]["sentences"]
                base = base or seconds
                rows.append([name, shown, f"{docs:,}", f"{sents:,}", f"{mb:.1f}", str(w), f"{seconds:.1f}",
                             f"{docs / seconds:,.0f}", f"{sents / seconds:,.0f}", f"{mb / seconds:.2f}",
                             f"{statistics.median(x['peak_mb'] for x in runs):,.0f}",
                             f"{statistics.median(x['peak_pss_mb'] for x in runs):,.0f}", f"{base / seconds:.2f}x"])
                print(" | ".join(rows[-1]), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = ["corpus", "input", "documents", "sentences", "MB", "workers", "seconds", "documents/s", "sentences/s",
              "MB/s", "peak RSS (MB)", "peak PSS (MB)", "speed-up"]
    lines = ["# Benchmark", "",
             f"`make benchmark` (`python benchmarks/run.py`), median of {args.runs} runs of "
             "`python -m coding build --input CORPUS --out OUT --workers N` (read, code, validate, write Parquet + CSV; "
             "the time includes starting Python and loading the rules). Peak RSS and peak PSS: the build process "
             "plus its workers, summed, RSS sampled every 0.1 s and PSS every 0.5 s; PSS counts a page shared by n processes 1/n in each "
             "(the forked workers share the rules loaded by the build process; RSS counts them in every process).", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", "Rule loading (`python -m coding code \"x\"`: start Python, load the rules, code one word):", "",
              "| rules | seconds (median) | runs |", "|---|---|---|",
              f"| warm cache (`~/.cache/cameo-acled-coder`) | {statistics.median(warm):.2f} | "
              + ", ".join(f"{x:.2f}" for x in warm) + " |",
              f"| cold: compiled (`CAMEO_ACLED_CACHE` = an empty folder) | {statistics.median(cold):.2f} | "
              + ", ".join(f"{x:.2f}" for x in cold) + " |",
              "", "Machine:", ""]
    lines += [f"- {k}: {v}" for k, v in info.items()]
    lines += [f"- rules sha256: {', '.join(sorted(r[:12] for r in rules))}", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.exists():  # hand-written notes below the marker (memory, estimates) are kept
        old = args.out.read_text(encoding="utf-8")
        if NOTES_MARKER in old:
            lines += ["", old[old.index(NOTES_MARKER):].rstrip("\n"), ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
