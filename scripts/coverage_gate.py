"""The coverage gate of scripts/test: every module at its floor, lines and branches counted together.

    python scripts/coverage_gate.py --leg min|current|both [--report-only] DATA_FILE...

The floors are in pyproject.toml, ``[tool.ambient-mesh.coverage]``: ``floor`` for every module, ``floors``
for the modules held to another figure (the config flow to 100 %; the few still below the default, at
what they truly reach, so none can slip further). Several data files are combined first: both legs of
scripts/test record the same paths (the Debian root binds the repository at its own path), and a module
listed in ``both-legs`` (compat.py: each leg runs one side of each version shim) is gated only on the
combination. A single leg is gated on its own figures with those modules left out.

Prints every module under 100 % (figure, floor, what is missing), then the modules under the default
floor, and exits 1 naming each module under its floor. The data files stay: after a merge the gate can be
run again on them alone (``--suggest`` prints floors at the measured figures, for a person to review).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
import sys
import tempfile
import tomllib
from typing import Any

import coverage

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"


def _missing(summary: dict[str, Any]) -> str:
    """Missing lines and branches the way coverage's own report writes them, shortened."""
    lines = [str(n) for n in summary.get("missing_lines", [])]
    branches = [f"{a}->{'exit' if b < 0 else b}" for a, b in summary.get("missing_branches", [])]
    text = ", ".join(lines + branches)
    return text if len(text) <= 90 else text[:87] + "..."


def main() -> int:
    """Gate (or, with --report-only, describe) the data files given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leg", required=True, choices=("min", "current", "both"))
    parser.add_argument("--report-only", action="store_true", help="print the figures, never fail")
    parser.add_argument(
        "--suggest",
        action="store_true",
        help="print pyproject.toml floors at the measured figures for the modules under the default (to review)",
    )
    parser.add_argument("data", nargs="+", type=Path)
    args = parser.parse_args()

    config = tomllib.loads(PYPROJECT.read_text())["tool"]["ambient-mesh"]["coverage"]
    default = float(config["floor"])
    floors = {name: float(value) for name, value in config.get("floors", {}).items()}
    both_legs_only = set(config.get("both-legs", []))
    if missing := [str(path) for path in args.data if not path.is_file()]:
        print(f"coverage gate [{args.leg}]: no coverage data in {', '.join(missing)}", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        cov = coverage.Coverage(data_file=str(Path(tmp) / "combined"), config_file=str(PYPROJECT))
        cov.combine([str(path) for path in args.data], keep=True)
        cov.save()
        cov.load()
        cov.set_option("report:skip_covered", False)
        report_file = Path(tmp) / "coverage.json"
        total = cov.json_report(outfile=str(report_file))
        files: dict[str, Any] = json.loads(report_file.read_text())["files"]

    label = f"[{args.leg}]" if args.leg != "both" else "[min + current, combined]"
    print(f"== coverage {label}: {total:.1f} % in total over {len(files)} modules (lines and branches)")
    if args.report_only:
        print(
            f"== coverage {label}: not gated here ({'both legs are gated combined' if args.leg != 'both' else 'report only'})"
        )
        return 0

    failures: list[str] = []
    below_default: list[str] = []
    suggested: list[str] = []
    for name in sorted(files):
        summary = files[name]["summary"] | {
            "missing_lines": files[name]["missing_lines"],
            "missing_branches": files[name].get("missing_branches", []),
        }
        percent = float(summary["percent_covered"])
        floor = floors.get(name, default)
        short = name.removeprefix("custom_components/ambient_mesh/")
        gated = args.leg == "both" or name not in both_legs_only
        if percent < 100:
            note = "" if gated else "  (gated when both legs run)"
            print(f"   {percent:5.1f} %  floor {floor:3.0f}  {short:<34} {_missing(summary)}{note}")
        if not gated:
            continue
        if percent < floor:
            failures.append(f"{short} {percent:.1f} % < {floor:.0f} %")
        if percent < default:
            below_default.append(f"{short} {percent:.1f} %")
            suggested.append(f'"{name}" = {math.floor(percent)}')
    for name in sorted(set(floors) - set(files)):
        print(f"== coverage {label}: pyproject.toml names a floor for {name}, which is not measured (gone?)")
    if below_default:
        print(
            f"== coverage {label}: {len(below_default)} modules below {default:.0f} %, held at their floors:"
        )
        print("".join(f"     {line}\n" for line in below_default), end="")
    if args.suggest:
        print(
            f"== coverage {label}: floors at the measured figures, for [tool.ambient-mesh.coverage.floors]:"
        )
        print("".join(f"{line}\n" for line in suggested), end="")
    if failures:
        print(f"== coverage {label}: FAILED, {len(failures)} modules under their floor:")
        print("".join(f"     {line}\n" for line in failures), end="")
        return 1
    print(
        f"== coverage {label}: every module at its floor ({default:.0f} % unless pyproject.toml says otherwise)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
