"""Record ``bench/baseline.json`` anew: the booking path before the performance work, measured
on this machine now, so that ``booking_baseline_x`` compares two runs of one sitting.

    uv run python -m bench.baseline [--seconds 8] [--warmup 2]

Clones this repository into a temporary directory at ``--app-ref`` (4717016: the booking core
before issue 16's work), puts the benchmark of ``--bench-ref`` (ded7315: the first one safe to
run beside other work, the one that recorded the first baseline) in its ``bench/``, installs
that checkout's locked dependencies with uv, runs ``python -m bench --record-baseline
--no-write`` there with this process's ``BENCH_*`` variables (use the same ones as for the run
it is compared with), copies the baseline it wrote here and removes the clone. Nothing of the
old code is kept in this tree; the same ``BENCH_*`` options decide where it runs (its own
database, Redis DBs, ports).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.__main__ import BASELINE, ROOT


def run(cmd: list[str], cwd: Path) -> None:
    print("[baseline] " + " ".join(cmd), flush=True)
    # The clone's own environment, not the one this process runs in.
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--app-ref", default="4717016", help="the code measured")
    parser.add_argument("--bench-ref", default="ded7315", help="the benchmark that measures it")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args(argv)
    if shutil.which("uv") is None:
        print("python -m bench.baseline needs uv on PATH", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="reservaflow-baseline-") as tmp:
        clone = Path(tmp) / "reservaflow"
        run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], ROOT)
        run(["git", "checkout", "--quiet", args.app_ref], clone)
        run(["git", "checkout", args.bench_ref, "--", "bench/"], clone)
        run(["uv", "sync", "--frozen", "--quiet"], clone)
        run(
            [
                "uv",
                "run",
                "python",
                "-m",
                "bench",
                "--record-baseline",
                "--no-write",
                "--seconds",
                str(args.seconds),
                "--warmup",
                str(args.warmup),
            ],
            clone,
        )
        recorded = json.loads((clone / "bench" / "baseline.json").read_text())
    recorded["bench_commit"] = args.bench_ref
    BASELINE.write_text(json.dumps(recorded, indent=2) + "\n")
    print(
        f"[baseline] wrote {BASELINE.relative_to(ROOT)}: commit {recorded['commit']}, "
        f"booking {recorded['booking_rps']} req/s = {recorded['booking_anon_ratio']} of its "
        f"anonymous no-op, {recorded['booking_cpu_ms']} ms CPU per booking",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
