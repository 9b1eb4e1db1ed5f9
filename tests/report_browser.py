#!/usr/bin/env python3
"""The HTML reports in a real browser (ctest report.browser).

Writes reports with the built slsim from bundled scenarios, loads each in
headless Chromium and checks the rendered DOM: every <svg class="chart"> holds
data-series-count paths of class "series", each with a `d` of at least two
points, and the page has no script. Then takes a screenshot and decodes the
PNG (zlib, standard library only) to check that it is not blank: enough
non-white pixels and several distinct colours, among them the charts' first
palette colour.

Exit 77 (ctest SKIP_RETURN_CODE) when no Chromium is installed, unless the
environment has CI=true: CI installs it (tools/setup.sh --browser), so there a
missing browser fails.
"""
import argparse
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77


class ChartCollector(html.parser.HTMLParser):
    """The charts of a DOM: for each <svg class="chart">, its announced count and its series paths."""

    def __init__(self):
        super().__init__()
        self.charts = []  # [id, announced, [(name, d), ...]]
        self.scripts = 0
        self.depth = 0  # nesting inside the current chart's <svg>

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "svg" and "chart" in (a.get("class") or "").split():
            self.charts.append([a.get("data-chart"), int(a.get("data-series-count", "-1")), []])
            self.depth = 1
            return
        if self.depth > 0:
            if tag == "svg":
                self.depth += 1
            if tag == "path" and "series" in (a.get("class") or "").split():
                self.charts[-1][2].append((a.get("data-series"), a.get("d") or ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg" and self.depth > 0:
            self.depth -= 1

    def handle_endtag(self, tag):
        if tag == "svg" and self.depth > 0:
            self.depth -= 1


def points(d):
    """The coordinate pairs of a path of M, L and Z commands."""
    return len(re.findall(r"-?\d+(?:\.\d+)?", d)) // 2


def find_scenario(source, stem):
    """A bundled scenario by its file's stem, wherever it sits under scenarios/."""
    for root, dirs, files in sorted(os.walk(os.path.join(source, "scenarios"))):
        dirs.sort()
        for f in sorted(files):
            if f in (stem + ".yaml", stem + ".yml"):
                return os.path.join(root, f)
    raise SystemExit(f"report.browser: no scenario {stem}.yaml under {source}/scenarios")


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(browser, profile, *args):
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180, check=False)


def decode_png(data):
    """(width, height, channels, rows of bytes) of an 8-bit RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace != 0:
                raise ValueError(f"unexpected PNG format: depth {depth}, colour type {colour}, interlace {interlace}")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def check_dom(browser, profile, page, failures):
    ran = chromium(browser, profile, "--dump-dom", "file://" + os.path.abspath(page))
    dom = ran.stdout.decode("utf-8", "replace")
    if ran.returncode != 0 or "<svg" not in dom:
        failures.append(f"{page}: chromium --dump-dom failed (exit {ran.returncode}): {ran.stderr.decode()[-500:]}")
        return 0
    parser = ChartCollector()
    parser.feed(dom)
    if parser.scripts:
        failures.append(f"{page}: the rendered DOM has {parser.scripts} script element(s)")
    if not parser.charts:
        failures.append(f"{page}: no chart in the rendered DOM")
    for chart_id, announced, series in parser.charts:
        if announced != len(series) or announced < 1:
            failures.append(f"{page}: chart {chart_id} announces {announced} series and holds {len(series)} paths")
        for name, d in series:
            if points(d) < 2:
                failures.append(f"{page}: chart {chart_id}, series {name!r}: a path of {points(d)} point(s): {d!r}")
    return len(parser.charts)


def check_screenshot(browser, profile, page, png, failures):
    ran = chromium(browser, profile, f"--screenshot={png}", "--window-size=1280,2400", "file://" + os.path.abspath(page))
    if ran.returncode != 0 or not os.path.exists(png):
        failures.append(f"{page}: chromium --screenshot failed (exit {ran.returncode}): {ran.stderr.decode()[-500:]}")
        return
    with open(png, "rb") as f:
        width, height, channels, rows = decode_png(f.read())
    non_white, colours, blue = 0, set(), 0
    for row in rows[::2]:  # every other row and column: plenty for these counts
        for x in range(0, width * channels, channels * 2):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if r < 235 or g < 235 or b < 235:
                non_white += 1
            colours.add((r >> 4, g >> 4, b >> 4))
            if abs(r - 0x00) < 40 and abs(g - 0x72) < 40 and abs(b - 0xB2) < 40:
                blue += 1  # the palette's first colour: a drawn series
    sampled = ((height + 1) // 2) * ((width + 1) // 2)
    share = non_white / sampled
    print(f"{page}: screenshot {width}x{height}, {share:.1%} non-white, {len(colours)} colours, {blue} series-blue pixels")
    if share < 0.01:
        failures.append(f"{page}: the screenshot is blank ({share:.2%} non-white pixels)")
    if len(colours) < 8:
        failures.append(f"{page}: the screenshot has {len(colours)} distinct colours (expected charts in colour)")
    if blue < 50:
        failures.append(f"{page}: the screenshot shows {blue} pixels of the first series colour")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slsim", required=True, help="the built slsim binary")
    ap.add_argument("--source", required=True, help="the project's source directory (scenarios/)")
    ap.add_argument("--out", required=True, help="a directory for the reports and screenshots")
    args = ap.parse_args()

    browser = find_chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            print("report.browser: no chromium, and CI=true: tools/setup.sh --browser installs it", file=sys.stderr)
            return 1
        print("report.browser: SKIP: no chromium installed (tools/setup.sh --browser)")
        return SKIP

    os.makedirs(args.out, exist_ok=True)
    # (report, slsim arguments): a run with a queue and insights, a run of many services with replications,
    # a sweep over two values, a lesson.
    first_run = find_scenario(args.source, "first-run")
    reports = [
        ("run-first-run.html", ["run", first_run, "--quiet"]),
        ("run-myblog.html", ["run", find_scenario(args.source, "myblog"), "--quiet", "--replications", "2",
                             "--no-insights"]),
        ("sweep-first-run.html", ["sweep", first_run, "--vary", "services.api.throttle.rate=50/s,100/s,200/s",
                                  "--vary", "services.checkout.memory=512MB,1024MB", "--duration", "1min", "--quiet"]),
        ("lesson-concurrency-limit.html", ["lesson", "lesson-concurrency-limit"]),
    ]
    failures = []
    with tempfile.TemporaryDirectory() as profile:
        for name, cmd in reports:
            page = os.path.join(args.out, name)
            ran = subprocess.run([args.slsim, *cmd, "--report", page], cwd=args.source, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, timeout=300, check=False)
            if ran.returncode != 0 or not os.path.exists(page):
                failures.append(f"slsim {' '.join(cmd)} --report failed (exit {ran.returncode}): {ran.stderr.decode()}")
                continue
            charts = check_dom(browser, profile, page, failures)
            print(f"{page}: {charts} charts rendered")
            check_screenshot(browser, profile, page, os.path.join(args.out, name[:-5] + ".png"), failures)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
