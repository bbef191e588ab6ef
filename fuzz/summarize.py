#!/usr/bin/env python3
"""Summarises fuzz/run.sh's logs (FUZZ_LOGS) as the Markdown table of fuzz/README.md.

    python3 fuzz/summarize.py LOG_DIR

Per target: how many inputs the run started from (its corpus folder and the seeds, each run
once before fuzzing), libFuzzer's executed units, seconds and executions per second from its final
statistics, coverage (`cov`, `ft`) and corpus from its last status line, peak RSS, and how many
findings the log reports (a sanitizer error, a panic, a deadly signal, a timeout, running out
of memory or a leak).
"""
import os
import re
import sys

TARGETS = ["records_csv", "transfergraph", "two_phase", "npy", "tokenizer", "model_dir", "method_id"]
FINDING = re.compile(r"==\d+==ERROR|panicked at|deadly signal|ALARM: working on the last Unit|"
                     r"out-of-memory|LeakSanitizer")


def row(name: str, text: str) -> str:
    def stat(key: str) -> str:
        found = re.findall(r"stat::%s:\s+(\d+)" % key, text)
        return found[-1] if found else "?"

    runs = stat("number_of_executed_units")
    start = re.findall(r"seed corpus: files: (\d+)", text)
    start = f"{int(start[-1]):,}" if start else "?"
    done = re.findall(r"Done \d+ runs in (\d+) second", text)
    status = [l for l in text.splitlines() if re.match(r"#\d+\s+(DONE|REDUCE|NEW|pulse|INITED)", l)]
    m = re.search(r"cov: (\d+) ft: (\d+) corp: (\S+)", status[-1]) if status else None
    cov, ft, corp = m.groups() if m else ("?", "?", "?")
    runs = f"{int(runs):,}" if runs.isdigit() else runs
    findings = len(FINDING.findall(text))
    return (f"| `{name}` | {start} | {runs} | {done[-1] if done else '?'} | {stat('average_exec_per_sec')} "
            f"| {cov} | {ft} | {corp} | {stat('peak_rss_mb')} | {findings} |")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    logs = sys.argv[1]
    print("| target | inputs at start | executions | seconds | exec/s | cov | ft | corpus (files/size) "
          "| peak RSS (MB) | findings |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for t in TARGETS:
        path = os.path.join(logs, t + ".log")
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                print(row(t, f.read().replace("\r", "\n")))


if __name__ == "__main__":
    main()
