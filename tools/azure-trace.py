#!/usr/bin/env python3
"""Turns the public Azure Functions trace (2019 layout) into slsim input.

Reads the per-minute invocation counts (one row per function: HashOwner,
HashApp, HashFunction, Trigger, then the columns 1..1440, one per minute of
the day) and optionally the duration percentiles (HashOwner, HashApp,
HashFunction, Average, Count, Minimum, Maximum, percentile_Average_0, _1, _25,
_50, _75, _99, _100, in milliseconds). Picks functions by hash, by trigger
and by invocation count, and writes into the output directory, for each one:

  NAME.per-minute.csv   its counts, for `arrival: {process: trace, format: per_minute}`
  NAME.duration-ms.csv  samples of its duration, for `{dist: empirical, file: ..., unit: ms}`

and scenario.yaml, a scenario that replays them (one workload and one Lambda
function per picked function). docs/traces.md explains the choices.

Python 3 standard library only. Exit status 2 on bad input, with the file and
line of the problem.
"""

import argparse
import csv
import json
import math
import os
import re
import sys

MINUTES = 1440
ID_COLUMNS = ["HashOwner", "HashApp", "HashFunction"]
PERCENTILES = [(0.0, "percentile_Average_0"), (0.01, "percentile_Average_1"), (0.25, "percentile_Average_25"),
               (0.50, "percentile_Average_50"), (0.75, "percentile_Average_75"), (0.99, "percentile_Average_99"),
               (1.0, "percentile_Average_100")]
# slsim's limits: a per_minute line holds at most 60000000 arrivals; a Lambda timeout is 1s..900s.
MAX_PER_MINUTE = 60_000_000
MAX_TIMEOUT_S = 900


class InputError(Exception):
    pass


def fail(message):
    raise InputError(message)


def whole_count(text, where):
    try:
        value = float(text) if text.strip() else 0.0
    except ValueError:
        fail(f"{where}: expected a count of invocations, found '{text}'")
    if value < 0 or value != math.floor(value) or value > MAX_PER_MINUTE:
        fail(f"{where}: expected a whole count from 0 to {MAX_PER_MINUTE}, found '{text}'")
    return int(value)


def positive_ms(text, where):
    try:
        value = float(text)
    except ValueError:
        fail(f"{where}: expected a duration in milliseconds, found '{text}'")
    if not math.isfinite(value) or value < 0:
        fail(f"{where}: expected a duration of 0 ms or more, found '{text}'")
    return value


def read_rows(path, required, layout):
    """Yields (line number, row) of a CSV file whose header holds `required`."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as e:
        fail(f"{path}: cannot read the file ({e.strerror})")
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            fail(f"{path}:1: expected the Azure Functions 2019 {layout} layout; the header lacks "
                 + ", ".join(f"'{c}'" for c in missing[:5]) + (" ..." if len(missing) > 5 else ""))
        for row in reader:
            yield reader.line_num, row


def read_invocations(path):
    required = ID_COLUMNS + ["Trigger"] + [str(m) for m in range(1, MINUTES + 1)]
    functions = []
    for line, row in read_rows(path, required, "invocations (HashOwner, HashApp, HashFunction, Trigger, 1..1440)"):
        counts = [whole_count(row[str(m)], f"{path}:{line}: minute {m}") for m in range(1, MINUTES + 1)]
        functions.append({"key": tuple(row[c] for c in ID_COLUMNS), "trigger": row["Trigger"], "counts": counts,
                          "line": line})
    if not functions:
        fail(f"{path}: no functions in the file (a header and no rows)")
    return functions


def read_durations(path):
    required = ID_COLUMNS + ["Average", "Count", "Minimum", "Maximum"] + [c for _, c in PERCENTILES]
    durations = {}
    for line, row in read_rows(path, required, "durations (HashOwner, HashApp, HashFunction, Average, Count, "
                                               "Minimum, Maximum, percentile_Average_0 ... _100)"):
        points = [(q, positive_ms(row[c], f"{path}:{line}: {c}")) for q, c in PERCENTILES]
        durations[tuple(row[c] for c in ID_COLUMNS)] = points
    return durations


def duration_samples(points, n):
    """n values whose empirical distribution follows the percentiles, linear between them.

    The quantile function through (0, min), (0.01, p1), ..., (1, max) is read at the
    levels (i + 0.5) / n. Percentiles that decrease (rounding in the trace) are
    raised to the one before, so the function stays monotone."""
    qs, vs = [], []
    for q, v in points:
        qs.append(q)
        vs.append(max(v, vs[-1]) if vs else v)
    out = []
    for i in range(n):
        level = (i + 0.5) / n
        k = 1
        while qs[k] < level:
            k += 1
        w = (level - qs[k - 1]) / (qs[k] - qs[k - 1])
        out.append(vs[k - 1] + w * (vs[k] - vs[k - 1]))
    return out


def pick(functions, args):
    chosen = functions
    if args.trigger:
        chosen = [f for f in chosen if f["trigger"] in args.trigger]
    if args.function:
        picked = []
        for wanted in args.function:
            matches = [f for f in chosen if f["key"][2].startswith(wanted)]
            if not matches:
                fail(f"--function {wanted}: no function whose HashFunction starts with it"
                     + (" (among the triggers " + ", ".join(args.trigger) + ")" if args.trigger else ""))
            if len({f["key"][2] for f in matches}) > 1:
                fail(f"--function {wanted}: {len(matches)} functions start with it: give more of the hash")
            picked.extend(m for m in matches if m not in picked)
        chosen = picked
    if args.top is not None or not args.function:
        top = args.top if args.top is not None else 3
        # The busiest first; the file order breaks ties, so the choice is reproducible.
        chosen = sorted(chosen, key=lambda f: (-sum(f["counts"]), f["line"]))[:top]
    if not chosen:
        fail("no function matches the selection" + (" (--trigger " + " ".join(args.trigger) + ")" if args.trigger
                                                    else ""))
    return chosen


def minute_window(text):
    try:
        first, last = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FIRST:LAST minutes (1..{MINUTES}), e.g. 480:600, found '{text}'")
    if not 1 <= first <= last <= MINUTES:
        raise argparse.ArgumentTypeError(f"expected 1 <= FIRST <= LAST <= {MINUTES}, found '{text}'")
    return first, last


def duration_text(minutes):
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}min"


def yaml_text(text):
    """A YAML scalar that reads back as `text`: plain when that is safe, else double-quoted (JSON)."""
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", text) else json.dumps(text)


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="azure-trace.py",
        description="Per-minute arrivals and empirical durations for slsim from the Azure Functions 2019 trace.")
    parser.add_argument("--invocations", required=True, metavar="FILE",
                        help="invocations_per_function_md.anon.dNN.csv (or a file in its layout)")
    parser.add_argument("--durations", metavar="FILE",
                        help="function_durations_percentiles.anon.dNN.csv; without it durations are placeholders")
    parser.add_argument("--function", action="append", default=[], metavar="HASH",
                        help="pick the function whose HashFunction starts with HASH (repeatable)")
    parser.add_argument("--trigger", action="append", default=[], metavar="TRIGGER",
                        help="only functions with this trigger: http, timer, queue, event, storage, orchestration, "
                             "others (repeatable)")
    parser.add_argument("--top", type=int, metavar="N",
                        help="the N functions with the most invocations (default 3 without --function)")
    parser.add_argument("--minutes", type=minute_window, default=(1, MINUTES), metavar="FIRST:LAST",
                        help=f"replay only these minutes of the day (1..{MINUTES}, default all)")
    parser.add_argument("--samples", type=int, default=1000, metavar="N",
                        help="values in each duration file (default 1000)")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the files (created if needed)")
    parser.add_argument("--name", default="azure-trace", help="the scenario's name (default azure-trace)")
    args = parser.parse_args(argv)
    if args.top is not None and args.top < 1:
        parser.error("--top: expected a number of functions from 1")
    if args.samples < 1 or args.samples > 1_000_000:
        parser.error("--samples: expected 1 to 1000000")

    functions = read_invocations(args.invocations)
    durations = read_durations(args.durations) if args.durations else {}
    chosen = pick(functions, args)
    first, last = args.minutes
    os.makedirs(args.out, exist_ok=True)

    workloads, services, report, names = [], [], [], set()
    for f in chosen:
        name = "fn_" + f["key"][2][:10]
        while name in names:  # the same function hash in two apps
            name += "_2"
        names.add(name)
        counts = f["counts"][first - 1:last]
        total = sum(counts)
        write(os.path.join(args.out, name + ".per-minute.csv"),
              "requests_per_minute\n" + "".join(f"{c}\n" for c in counts))
        # HTTP functions answer their caller; the other triggers hand the event over.
        invoke = "" if f["trigger"] == "http" else "\n    invoke: async"
        workloads.append(f"  - name: {name}\n    target: {name}{invoke}\n"
                         f"    arrival: {{process: trace, file: {name}.per-minute.csv, format: per_minute}}\n")
        points = durations.get(f["key"])
        if points is None:
            duration = "100ms  # TODO: no durations for this function: measure them"
            timeout = ""
        else:
            samples = duration_samples(points, args.samples)
            write(os.path.join(args.out, name + ".duration-ms.csv"),
                  "duration_ms\n" + "".join(f"{v:.3f}\n" for v in samples))
            duration = f"{{dist: empirical, file: {name}.duration-ms.csv, unit: ms}}"
            longest_s = math.ceil(points[-1][1] / 1000.0)
            timeout = f"\n    timeout: {min(MAX_TIMEOUT_S, max(3, longest_s + 1))}s  # above the longest run in the trace"
        services.append(f"  {name}:\n    type: lambda  # trigger {f['trigger']}: {total} invocations\n"
                        f"    duration: {duration}{timeout}\n")
        report.append(f"{name}: {f['trigger']}, {total} invocations in minutes {first}..{last}"
                      + ("" if points else " (no durations: a placeholder)"))

    scenario = (
        f"# Written by tools/azure-trace.py from {os.path.basename(args.invocations)}"
        + (f" and {os.path.basename(args.durations)}" if args.durations else "") + ".\n"
        "# One Lambda function per traced function: set memory, cold starts and the calls they make\n"
        "# from what you know of your own.\n"
        f"name: {yaml_text(args.name)}\n"
        f"description: Azure Functions trace, minutes {first} to {last}, {len(chosen)} function"
        f"{'' if len(chosen) == 1 else 's'}.\n"
        f"duration: {duration_text(last - first + 1)}\n"
        "workloads:\n" + "".join(workloads) + "services:\n" + "".join(services))
    write(os.path.join(args.out, "scenario.yaml"), scenario)
    print(f"azure-trace: wrote {os.path.join(args.out, 'scenario.yaml')} with {len(chosen)} function"
          f"{'' if len(chosen) == 1 else 's'}:")
    for line in report:
        print("  " + line)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as e:
        print(f"azure-trace: error: {e}", file=sys.stderr)
        sys.exit(2)
