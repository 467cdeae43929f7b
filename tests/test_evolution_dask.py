"""Evolution's islands on a real dask.distributed cluster give what the local run gives."""

import numpy as np
import pytest

from discover.data import from_arrays
from discover.evolution import EvolutionSR

distributed = pytest.importorskip("dask.distributed")


def _oscillator():
    t = np.linspace(0, 10, 401)
    return from_arrays(np.c_[np.exp(-0.5 * t), np.cos(t), -np.sin(t)], t=t, names=["a", "b", "c"])


#: small and quick; three islands per target so migration between islands is exercised
KW = dict(n_iterations=3, n_islands=3, steps=120, population_size=20, random_state=3, progress=False)


@pytest.fixture(scope="module")
def client():
    """Two worker processes on loopback (each island is pickled there and back)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def _island_tasks(stream) -> int:
    return sum("_evolve_item" in str(task["key"]) for task in stream.data)


def _same(a: EvolutionSR, b: EvolutionSR) -> None:
    assert [str(e) for e in a.equations()] == [str(e) for e in b.equations()]
    assert a.fronts_ == b.fronts_
    assert a.search_["evaluations"] == b.search_["evaluations"]
    assert a.search_["iterations"] == b.search_["iterations"]


def test_dask_islands_equal_the_local_run(client):
    series = _oscillator()
    local = EvolutionSR(**KW).fit(series)
    with distributed.get_task_stream(client) as stream:
        remote = EvolutionSR(backend="dask", **KW).fit(series)
    # the islands ran as tasks on the workers, in batches of joblib's choosing, each iteration
    assert _island_tasks(stream) >= 3
    _same(local, remote)
    a, b, c = (str(e) for e in remote.equations())
    assert (a, b, c) == ("-0.5*a", "c", "-b")


def test_pipeline_backend_dask_runs_the_islands_on_the_cluster(client):
    import discover

    series = _oscillator()
    config = {"evolution": {k: v for k, v in KW.items() if k != "random_state"}}
    with distributed.get_task_stream(client) as stream:
        report = discover.fit(series, ["evolution"], config=config, seed=3, backend="dask", n_jobs=-1)
    local = discover.fit(series, ["evolution"], config=config, seed=3)
    assert report.methods["evolution"].status == "ok"
    assert report.methods["evolution"].params["backend"] == "dask"
    assert local.methods["evolution"].params["backend"] is None
    assert _island_tasks(stream) >= 3
    assert [str(f.rhs) for f in report.findings] == [str(f.rhs) for f in local.findings]
    assert ([f.metrics["front"] for f in report.findings] == [f.metrics["front"] for f in local.findings])
