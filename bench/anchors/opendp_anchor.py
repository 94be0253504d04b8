"""OpenDP 0.16 + Polars as benchmark anchors (issue 16): grouped mean of delay by origin on flights-3m.

Run by bench/anchors/run.sh with $OPENDP_ANCHOR_PYTHON (opendp[polars] 0.16.0, Polars 1.36):
    python opendp_anchor.py --parquet FILE --n N --n-dp M --rho R --max-groups G --out OUT.json

The data are read once into memory (a Polars DataFrame), as this server holds them in DuckDB.
Measures, each after one warm-up:
  - polars: the same query without DP (group_by origin, mean delay), N times: the floor;
  - opendp release: what an OpenDP user runs per question, Context.query()...release().collect()
    (builds the measurement, searches the noise scale, runs it), M times;
  - opendp prepared: the measurement built once (Query.resolve()), then only invoked, M times.
DP settings: one row per flight (privacy unit: 1 contribution), zCDP with ρ = R per query,
origin keys public (Margin invariant "keys"), delay clamped to [-120, 720] (this server's public
bounds), max_length = the row count, max_groups = the number of public airport codes (--max-groups).
"""

import argparse
import json
import os
import sys
import time

import opendp.prelude as dp
import polars as pl

LOWER, UPPER = -120.0, 720.0


def timed(f, n):
    f()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        f()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--parquet", required=True)
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--n-dp", type=int, default=10)
    p.add_argument("--rho", type=float, default=0.001)
    p.add_argument("--max-groups", type=int, required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    dp.enable_features("contrib")
    df = pl.read_parquet(args.parquet).select("origin", "delay")
    rows = df.height

    floor = timed(lambda: df.lazy().group_by("origin").agg(pl.col("delay").mean()).collect(), args.n)

    queries = 2 * (args.n_dp + 1) + 1
    context = dp.Context.compositor(
        data=df.lazy(),
        privacy_unit=dp.unit_of(contributions=1),
        privacy_loss=dp.loss_of(rho=args.rho * queries),
        split_evenly_over=queries,
        margins=[dp.polars.Margin(by=["origin"], invariant="keys", max_length=rows, max_groups=args.max_groups)],
    )

    def query():
        return (
            context.query()
            .group_by("origin")
            .agg(pl.col("delay").cast(pl.Float64).fill_null(0.0).dp.mean((LOWER, UPPER)))
        )

    groups = []

    def release():
        groups.append(query().release().collect().height)

    released = timed(release, args.n_dp)
    measurement = query().resolve()
    prepared = timed(lambda: measurement(df.lazy()).collect(), args.n_dp)
    out = {
        "system": f"OpenDP {dp.__version__} + Polars {pl.__version__}",
        "rows": rows,
        "groups_released": groups[-1] if groups else None,
        "settings": f"zCDP rho={args.rho} per query; privacy unit 1 row; origin keys public "
        f"(Margin invariant keys, max_groups={args.max_groups}); delay clamped to [{LOWER}, {UPPER}]; max_length={rows}; "
        f"Polars threads {pl.thread_pool_size()}",
        "polars_ms": floor,
        "opendp_release_ms": released,
        "opendp_prepared_ms": prepared,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    code = 0
    try:
        main()
    except Exception as e:  # noqa: BLE001 (reported, then the process ends with a failure)
        print(f"opendp anchor failed: {str(e)[:2000]}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
