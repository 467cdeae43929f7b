"""discover batch: datasets from a folder, glob or manifest; resumable; failures and
interrupts stay local; the same numbers on every executor, also when a Dask worker dies."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from discover.batch import find_datasets, run_batch
from discover.errors import DataError

#: angular frequencies of the datasets: periods 2π/ω
OMEGAS = [0.8, 1.3, 2.1, 3.0]


def _write(folder: Path, k: int, omega: float, n: int = 400, noise: float = 0.0) -> Path:
    t = np.arange(n) * 0.05
    rng = np.random.default_rng(k)
    x = np.c_[np.exp(-0.05 * t) * np.cos(omega * t), np.exp(-0.05 * t) * np.sin(omega * t)]
    x = x + noise * rng.standard_normal(x.shape)
    path = folder / f"osc{k}.csv"
    np.savetxt(path, np.c_[t, x], delimiter=",", header="t,a,b", comments="", fmt="%.12g")
    return path


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for k, w in enumerate(OMEGAS):
        _write(data, k, w)
    return data


def _numbers(folder: Path) -> dict:
    """A report's content less what differs between runs (times, creation date, version)."""
    d = json.loads((folder / "report.json").read_text())
    for key in ("created", "discover_version"):
        d.pop(key, None)
    for m in d["methods"].values():
        m.pop("seconds", None)
    return d


def _no_temporary_files(root: Path) -> bool:
    return not [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_datasets_from_a_folder_a_glob_and_a_manifest(folder, tmp_path):
    assert [d.name for d in find_datasets(folder)] == ["osc0", "osc1", "osc2", "osc3"]
    assert [d.name for d in find_datasets(str(folder / "osc[12].csv"))] == ["osc1", "osc2"]
    manifest = tmp_path / "runs.csv"
    manifest.write_text("file,name,methods,time,seed\n"
                        "data/osc0.csv,first,dmd;sindy,t,3\n"
                        "data/osc1.csv;data/osc2.csv,,,,\n")
    a, b = find_datasets(manifest)
    assert (a.name, a.methods, a.load, a.seed) == ("first", ["dmd", "sindy"], {"time": "t"}, 3)
    assert b.name == "osc1" and len(b.files) == 2 and all(Path(f).is_file() for f in b.files)
    with pytest.raises(DataError, match="no datasets"):
        find_datasets(str(tmp_path / "nothing*.csv"))


def test_batch_writes_reports_and_an_index_and_records_a_failing_dataset(folder, tmp_path):
    (folder / "broken.csv").write_text("t,a\n0,1\n1,oops\n2,3\n")
    out = tmp_path / "out"
    result = run_batch(folder, out, methods=["dmd"], backend="serial")
    rows = {r["name"]: r for r in result.rows}
    assert result.failed == ["broken"] and "oops" in rows["broken"]["error"]
    assert (out / "broken" / "error.txt").is_file() and not (out / "broken" / "report.json").exists()
    for k, w in enumerate(OMEGAS):
        r = rows[f"osc{k}"]
        assert r["status"] == "ok" and (out / f"osc{k}" / "report.html").is_file()
        assert r["periods"] and abs(r["periods"][0] - 2 * np.pi / w) < 1e-6 * 2 * np.pi / w
        assert {e["variable"] for e in r["equations"]} == {"a", "b"}
    index = json.loads((out / "index.json").read_text())
    assert [r["name"] for r in index["datasets"]] == ["broken", "osc0", "osc1", "osc2", "osc3"]
    page = (out / "index.html").read_text()
    assert 'href="osc2/report.html"' in page and "discover-batch" in page and "oops" in page
    assert "osc3" in (out / "index.md").read_text()


def test_resume_skips_finished_datasets(folder, tmp_path):
    out = tmp_path / "out"
    run_batch(folder, out, methods=["dmd"], backend="serial")
    before = (out / "osc0" / "report.json").stat().st_mtime_ns
    import shutil

    shutil.rmtree(out / "osc2")
    fitted = []
    result = run_batch(folder, out, methods=["dmd"], backend="serial", on_done=lambda r: fitted.append(r["name"]))
    assert fitted == ["osc2"] and sorted(result.skipped) == ["osc0", "osc1", "osc3"]
    assert (out / "osc0" / "report.json").stat().st_mtime_ns == before
    assert len(result.rows) == 4 and all(r["status"] == "ok" for r in result.rows)


def test_interrupt_leaves_finished_reports_whole_and_no_half_written_file(folder, tmp_path):
    out = tmp_path / "out"

    def stop(row):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(folder, out, methods=["dmd"], backend="serial", on_done=stop)
    assert _no_temporary_files(out)
    done = [p.parent.name for p in out.glob("*/report.json")]
    assert done == ["osc0"] and json.loads((out / "osc0" / "report.json").read_text())["methods"]["dmd"]
    assert [r["name"] for r in json.loads((out / "index.json").read_text())["datasets"]] == ["osc0"]
    result = run_batch(folder, out, methods=["dmd"], backend="serial")
    assert result.skipped == ["osc0"] and len(result.rows) == 4


def test_processes_give_the_same_numbers_as_a_local_run(folder, tmp_path):
    a = run_batch(folder, tmp_path / "serial", methods=["dmd"], backend="serial", seed=1)
    b = run_batch(folder, tmp_path / "procs", methods=["dmd"], backend="processes", n_jobs=2, seed=1)
    assert not a.failed and not b.failed
    for k in range(len(OMEGAS)):
        assert _numbers(tmp_path / "serial" / f"osc{k}") == _numbers(tmp_path / "procs" / f"osc{k}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args, log):
    return subprocess.Popen([sys.executable, "-m", *args], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_dask_cluster_survives_a_killed_worker_with_the_same_numbers(tmp_path):
    """A real scheduler and two workers (separate processes, loopback only); one
    worker is killed after the first dataset finishes; every dataset still gets
    the report a local run gives."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client

    data = tmp_path / "data"
    data.mkdir()
    for k in range(10):  # noisy: optimized DMD, ~0.1-0.3 s a dataset, so the kill lands mid-batch
        _write(data, k, 0.7 + 0.25 * k, n=3000, noise=0.02)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path / "cluster.log", "w")
    procs = [_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--no-dashboard"], log)]
    try:
        for _ in range(2):
            procs.append(_start(["distributed.cli.dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-nanny", "--no-dashboard"], log))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            killed = []

            def kill_one(row):
                if not killed:
                    victim = procs[1]
                    os.killpg(victim.pid, signal.SIGKILL)
                    victim.wait(timeout=30)
                    killed.append(victim.pid)

            result = run_batch(data, tmp_path / "dask", methods=["dmd"], backend="dask", scheduler=client, seed=2,
                               on_done=kill_one)
            assert killed and procs[1].poll() is not None
            assert len(client.scheduler_info()["workers"]) == 1
        local = run_batch(data, tmp_path / "local", methods=["dmd"], backend="serial", seed=2)
        assert not result.failed and not local.failed and len(result.rows) == 10
        for k in range(10):
            assert _numbers(tmp_path / "dask" / f"osc{k}") == _numbers(tmp_path / "local" / f"osc{k}")
        assert _no_temporary_files(tmp_path / "dask")
    finally:
        for p in procs:
            _stop(p)
        log.close()


def test_bad_backend_is_refused(folder, tmp_path):
    with pytest.raises(ValueError, match="'backend' parameter of run_batch"):
        run_batch(folder, tmp_path / "o", backend="threads")
    with pytest.raises(ValueError, match="needs backend='dask'"):
        run_batch(folder, tmp_path / "o", backend="serial", scheduler="tcp://127.0.0.1:1")



def test_cli_batch_writes_the_index_skips_finished_and_fails_clearly(folder, tmp_path):
    from click.testing import CliRunner
    from discover.cli import main

    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["batch", str(folder), "--out", str(out), "--methods", "dmd", "--backend", "serial"])
    assert r.exit_code == 0, r.output
    assert (out / "index.html").is_file() and "4 datasets (4 ok, 0 already done" in r.stderr
    r = CliRunner().invoke(main, ["batch", str(folder), "--out", str(out), "--methods", "dmd", "--backend", "serial"])
    assert r.exit_code == 0 and "4 already done" in r.stderr
    r = CliRunner().invoke(main, ["batch", str(tmp_path / "none*.csv"), "--out", str(out)])
    assert r.exit_code == 1 and "no datasets found" in r.stderr and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["batch", str(folder), "--scheduler", "tcp://127.0.0.1:1"])
    assert r.exit_code == 2 and "--backend dask" in r.stderr


def _slow_manifest(folder: Path, tmp_path: Path) -> Path:
    """Two quick DMD fits and one evolution search that runs far past a 3 s timeout."""
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,name,methods\n"
                        f"{folder / 'osc0.csv'},quick0,dmd\n"
                        f"{folder / 'osc1.csv'},slow,evolution\n"
                        f"{folder / 'osc2.csv'},quick2,dmd\n")
    return manifest


@pytest.mark.parametrize("backend", ["serial", "processes", "dask"])
def test_a_dataset_past_its_timeout_is_recorded_and_the_others_go_on(folder, tmp_path, backend):
    import time

    out = tmp_path / "out"
    start = time.perf_counter()
    result = run_batch(_slow_manifest(folder, tmp_path), out, backend=backend, n_jobs=2, timeout=3.0)
    elapsed = time.perf_counter() - start
    rows = {r["name"]: r for r in result.rows}
    assert rows["slow"]["status"] == "failed" and "timed out after 3 s" in rows["slow"]["error"]
    assert rows["quick0"]["status"] == rows["quick2"]["status"] == "ok"
    assert "timed out after 3 s" in (out / "slow" / "error.txt").read_text()
    assert not (out / "slow" / "report.json").exists() and (out / "quick2" / "report.json").exists()
    assert elapsed < 60  # the evolution search alone runs for minutes
    assert result.failed == ["slow"]


def test_timeout_must_be_positive(folder, tmp_path):
    with pytest.raises(ValueError, match="'timeout'"):
        run_batch(folder, tmp_path / "out", methods=["dmd"], backend="serial", timeout=0)


def test_cli_timeout(folder, tmp_path):
    from click.testing import CliRunner
    from discover.cli import main

    res = CliRunner().invoke(main, ["batch", str(_slow_manifest(folder, tmp_path)), "-o", str(tmp_path / "out"),
                                    "--backend", "serial", "--timeout", "2"])
    assert res.exit_code == 3
    assert "slow: failed" in res.stderr and "timed out after 2 s" in res.stderr
    assert "quick0: ok" in res.stderr
    bad = CliRunner().invoke(main, ["batch", str(folder), "--timeout", "0"])
    assert bad.exit_code == 2 and "--timeout" in bad.output + bad.stderr


def test_a_local_worker_writes_its_own_report_and_the_index_reads_it_back(folder, tmp_path):
    # the report is rendered and written where the fit ran (the caller only reads report.json back)
    from discover.batch import fit_dataset

    ds = find_datasets(folder)[0]
    res = fit_dataset(ds, ["dmd"], out=tmp_path / "w")
    assert res["saved"] is True and res["error"] is None
    written = sorted(p.name for p in (tmp_path / "w" / ds.name).iterdir())
    assert {"report.json", "report.md", "report.html"} <= set(written)
    assert json.loads((tmp_path / "w" / ds.name / "report.json").read_text()) == json.loads(res["report"].to_json())
    # without out nothing is written and nothing claims it was
    assert "saved" not in fit_dataset(ds, ["dmd"])
