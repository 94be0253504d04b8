"""The Python Lomas server 0.4.1 as a benchmark anchor (issue 16): DP grouped count of penguins.

Run by bench/anchors/run.sh with $LOMAS_ANCHOR_PYTHON (lomas-server 0.4.1, Python 3.12):
    python lomas_anchor.py --work DIR --penguins-json FILE --n N --epsilon E --out OUT.json

It writes the penguins CSV (the same rows as this server's demo dataset: vega-datasets'
penguins.json, columns renamed the same way), Lomas metadata, a runtime config and Lomas's
YAML admin database (users, datasets; Lomas keeps it in memory and writes it back at shutdown);
starts `python -m lomas_server.uvicorn_serve` with timing protection off
(`server.time_attack: {method: stall, magnitude: 0}`), sends N sequential
POST /smartnoise_sql_query requests over one keep-alive connection after a warm-up, and writes
the latencies (ms) as JSON.
Why not Lomas's MongoDB admin database: the MongoDB-compatible store this machine has (FerretDB
1.24) refuses Lomas's SCRAM login and does not implement findAndModify with "fields", which
Lomas calls at every query (get_and_set_may_user_query). The YAML database does no I/O per query,
which favours Lomas in this comparison. Ends with os._exit: Lomas's telemetry exporters can hold a normal exit.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import requests
import yaml

COLUMNS = {
    "Species": "species",
    "Island": "island",
    "Beak Length (mm)": "bill_length_mm",
    "Beak Depth (mm)": "bill_depth_mm",
    "Flipper Length (mm)": "flipper_length_mm",
    "Body Mass (g)": "body_mass_g",
    "Sex": "sex",
}
USER = "bench"
DATASET = "PENGUIN"
QUERY = "SELECT species, COUNT(*) AS n FROM df GROUP BY species"


def write_inputs(args, port):
    """Writes the CSV, metadata, collections, config and secrets; returns the config paths."""
    rows = pd.read_json(args.penguins_json).rename(columns=COLUMNS)[list(COLUMNS.values())]
    csv = os.path.join(args.work, "penguins.csv")
    rows.to_csv(csv, index=False)
    # The same public metadata as this server's demo penguins: species is a public category
    # list, so no key threshold (censor_dims false), one row per penguin.
    metadata = {
        "max_ids": 1,
        "rows": len(rows),
        "row_privacy": True,
        "censor_dims": False,
        "columns": {
            "species": {
                "type": "string",
                "cardinality": 3,
                "categories": ["Adelie", "Chinstrap", "Gentoo"],
            },
            "island": {
                "type": "string",
                "cardinality": 3,
                "categories": ["Biscoe", "Dream", "Torgersen"],
            },
            "bill_length_mm": {"type": "float", "precision": 64, "lower": 30.0, "upper": 60.0, "nullable": True},
            "bill_depth_mm": {"type": "float", "precision": 64, "lower": 13.0, "upper": 22.0, "nullable": True},
            "flipper_length_mm": {"type": "float", "precision": 64, "lower": 170.0, "upper": 235.0, "nullable": True},
            "body_mass_g": {"type": "float", "precision": 64, "lower": 2500.0, "upper": 6500.0, "nullable": True},
            "sex": {"type": "string", "nullable": True},
        },
    }
    meta_path = os.path.join(args.work, "penguins_metadata.yaml")
    with open(meta_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(metadata, f)
    users = {
        "users": [
            {
                "user_name": USER,
                "may_query": True,
                "datasets_list": [
                    {
                        "dataset_name": DATASET,
                        "initial_epsilon": 10.0,
                        "initial_delta": 0.005,
                        "total_spent_epsilon": 0.0,
                        "total_spent_delta": 0.0,
                    }
                ],
            }
        ]
    }
    datasets = {
        "datasets": [
            {
                "dataset_name": DATASET,
                "dataset_access": {"database_type": "PATH_DB", "path": csv},
                "metadata_access": {"database_type": "PATH_DB", "path": meta_path},
            }
        ]
    }
    db_file = os.path.join(args.work, "admin_db.yaml")
    with open(db_file, "w", encoding="utf-8") as f:
        yaml.safe_dump({**users, **datasets, "queries": []}, f)
    admin = {"db_type": "yaml", "db_file": db_file}
    config = {
        "runtime_args": {
            "settings": {
                "develop_mode": False,
                "server": {
                    "time_attack": {"method": "stall", "magnitude": 0},
                    "host_ip": "127.0.0.1",
                    "host_port": port,
                    "log_level": "warning",
                    "reload": False,
                    "workers": 1,
                },
                "submit_limit": 300,
                "admin_database": admin,
                "private_db_credentials": [],
                "dp_libraries": {
                    "opendp": {"contrib": True, "floating_point": True, "honest_but_curious": True}
                },
            }
        }
    }
    config_path = os.path.join(args.work, "runtime.yaml")
    secrets_path = os.path.join(args.work, "secrets.yaml")
    with open(config_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f)
    with open(secrets_path, "w", encoding="utf-8") as f:
        f.write("{}\n")
    return config_path, secrets_path


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid):
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--penguins-json", required=True)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--epsilon", type=float, default=0.01)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    port = free_port()
    config_path, secrets_path = write_inputs(args, port)
    env = {**os.environ, "LOMAS_CONFIG_PATH": config_path, "LOMAS_SECRETS_PATH": secrets_path}
    log = open(os.path.join(args.work, "lomas-server.log"), "w", encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "lomas_server.uvicorn_serve"], env=env, stdout=log, stderr=log, cwd=args.work
    )
    url = f"http://127.0.0.1:{port}"
    try:
        t0 = time.time()
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"Lomas server exited with {server.returncode}; see {log.name}")
            try:
                if requests.get(f"{url}/state", headers={"user-name": USER}, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() - t0 > 120:
                raise RuntimeError(f"Lomas server not ready in 120 s; see {log.name}")
            time.sleep(0.2)
        session = requests.Session()
        body = {
            "dataset_name": DATASET,
            "query_str": QUERY,
            "epsilon": args.epsilon,
            "delta": 0.0,
            "mechanisms": {},
            "postprocess": True,
        }
        headers = {"user-name": USER, "content-type": "application/json"}

        def once():
            start = time.perf_counter()
            r = session.post(f"{url}/smartnoise_sql_query", data=json.dumps(body), headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            if not r.ok:
                raise RuntimeError(f"Lomas answered {r.status_code}: {r.text}")
            return elapsed, r.json()

        for _ in range(args.warmup):
            once()
        samples = []
        sample_answer = None
        for _ in range(args.n):
            ms, sample_answer = once()
            samples.append(ms)
        out = {
            "system": "Lomas server 0.4.1 (YAML admin database)",
            "query": QUERY,
            "epsilon": args.epsilon,
            "delta": 0.0,
            "settings": "server.time_attack: {method: stall, magnitude: 0}; develop_mode false; "
            "one uvicorn worker; SmartNoise-SQL path (POST /smartnoise_sql_query); censor_dims false; "
            "YAML admin database (in memory, no I/O per query)",
            "warmup": args.warmup,
            "samples_ms": samples,
            "rss_bytes": rss_bytes(server.pid),
            "sample_answer": sample_answer,
        }
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(out, f)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


if __name__ == "__main__":
    code = 0
    try:
        main()
    except Exception as e:  # noqa: BLE001 (reported, then the process ends with a failure)
        print(f"lomas anchor failed: {e}", file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
