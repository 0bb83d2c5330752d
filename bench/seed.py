"""Seed the registries the benchmarks run against, fast.

Two shapes (the scale figures compare them):

    small   10 registered models; `bench-classifier` has 10 versions
    large   1,000 registered models; `bench-classifier` has 10,000 versions

Creating 10,000 versions through REST takes many minutes, so the filler (versions nobody
touches, the other models, their tags) is bulk-inserted with SQLAlchemy Core into
MLflow's own tables (MLflow's ORM table objects, so the schema is MLflow's), after
MLflow has created and migrated the database. The four versions the benchmarks move
are registered through MlflowClient with real runs and metrics, the way training does,
and promobot records the holders of Staging, Production and @champion (record_holders),
so that no target starts out drifted.

SQLite databases are built once and kept as templates under bench/.cache/ (keyed by
the shape, the MLflow version and SEED_FORMAT); each run copies a template. PostgreSQL
databases are seeded fresh into a database the run creates and drops.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

MODEL = "bench-classifier"
CACHE = Path(__file__).resolve().parent / ".cache"
SEED_FORMAT = 4  # bump when the seeded content changes: old templates are ignored

# The versions the benchmarks move, by role; their numbers are the model's last four.
#   A, B  take turns in Staging (promote, rollback); start: A Staging, B Archived
#   C, D  take turns in Production (approve); start: D Production (and @champion),
#         C Archived
METRICS = {
    "A": {"accuracy": 0.91, "f1": 0.89, "precision": 0.90, "recall": 0.88},
    "B": {"accuracy": 0.92, "f1": 0.89, "precision": 0.91, "recall": 0.87},
    "C": {"accuracy": 0.93, "f1": 0.89, "precision": 0.92, "recall": 0.88},
    "D": {"accuracy": 0.90, "f1": 0.89, "precision": 0.89, "recall": 0.89},
}


@dataclass(frozen=True)
class Shape:
    name: str
    versions: int  # of MODEL
    models: int  # registered models in all, MODEL included
    filler_versions: int = 3  # per other model
    filler_tags: int = 2  # per other model and per filler version of MODEL


SMALL = Shape("small", versions=10, models=10)
LARGE = Shape("large", versions=10_000, models=1_000)
TINY = Shape("tiny", versions=6, models=2)  # the smoke test's


@dataclass(frozen=True)
class Seeded:
    shape: Shape
    model: str
    roles: dict[str, int]  # "A".."D" → version number

    @property
    def staging_pair(self) -> tuple[int, int]:
        return self.roles["A"], self.roles["B"]

    @property
    def production_pair(self) -> tuple[int, int]:
        return self.roles["C"], self.roles["D"]


def roles_for(shape: Shape) -> dict[str, int]:
    n = shape.versions
    return {"A": n - 3, "B": n - 2, "C": n - 1, "D": n}


def seed(uri: str, shape: Shape, artifacts: Path) -> Seeded:
    """Fill an empty MLflow database at `uri` (sqlite:/// or postgresql://)."""
    import sqlalchemy
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.search_registered_models(max_results=1)  # creates and migrates the schema
    experiment = client.create_experiment("bench", artifact_location=artifacts.as_uri())
    client.create_registered_model(MODEL, description="the benchmarks' model")

    engine = sqlalchemy.create_engine(uri)
    try:
        _bulk_filler(engine, shape)
    finally:
        engine.dispose()

    roles: dict[str, int] = {}
    for role, metrics in METRICS.items():
        run = client.create_run(experiment, tags={"role": role})
        run_id = run.info.run_id
        for key, value in metrics.items():
            client.log_metric(run_id, key, value)
        client.set_terminated(run_id)
        mv = client.create_model_version(
            MODEL,
            source=f"runs:/{run_id}/model",
            run_id=run_id,
            tags={"git_commit": _sha(f"{role}")},
        )
        roles[role] = int(mv.version)
    if roles != roles_for(shape):
        raise RuntimeError(f"seeding gave versions {roles}, expected {roles_for(shape)}")

    with _quiet():
        client.transition_model_version_stage(MODEL, str(roles["D"]), "Production")
        client.transition_model_version_stage(MODEL, str(roles["A"]), "Staging")
        # B and C start archived, so that the latest Archived version is always C or D
        # (later one of them is always archived): A and B never come with the model's
        # read, whichever holds Staging, and every run of a command reads the same.
        client.transition_model_version_stage(MODEL, str(roles["B"]), "Archived")
        client.transition_model_version_stage(MODEL, str(roles["C"]), "Archived")
    client.set_registered_model_alias(MODEL, "production", str(roles["D"]))
    client.set_registered_model_alias(MODEL, "staging", str(roles["A"]))
    client.set_registered_model_alias(MODEL, "champion", str(roles["D"]))
    record_holders(uri, roles)
    return Seeded(shape, MODEL, roles)


def record_holders(uri: str, roles: dict[str, int]) -> None:
    """Let promobot record the holders set above, as a team adopting promobot would
    (promoting the version that holds a target records it): otherwise every target is
    drift — set outside promobot — and promobot refuses to promote onto it."""
    from bench import paths
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.commands import parse
    from bot.core.policy import load_policy
    from bot.core.service import Context, Service

    service = Service(Registry(uri), load_policy(paths.POLICY))

    def run(text: str, actor: str, status: str = "done") -> str:
        parsed = parse(text)
        assert parsed.command is not None, parsed.reply
        result = service.handle(parsed.command, Context(actor=actor))
        if result.status != status:
            raise RuntimeError(f"seeding: `{text}` gave {result.status}: {result.reasons}")
        return result.request_id or ""

    run(f"promote {MODEL} v{roles['A']} staging seeded", "cli:bob")
    asked = run(f"promote {MODEL} v{roles['D']} production seeded", "cli:bob", "pending")
    run(f"approve {asked} seeded", "cli:alice")
    run(f"promote {MODEL} v{roles['D']} @champion seeded", "cli:alice")
    info = service.registry.get_model(MODEL)
    if info is None or service.drift_scan.drift(info):
        raise RuntimeError("seeding: the seeded model still drifts")


def _bulk_filler(engine: object, shape: Shape) -> None:
    """Versions 1..N-4 of MODEL and the other models, straight into MLflow's tables."""
    from mlflow.store.model_registry.dbmodels.models import (
        SqlModelVersion,
        SqlModelVersionTag,
        SqlRegisteredModel,
        SqlRegisteredModelTag,
    )
    from mlflow.utils.workspace_utils import DEFAULT_WORKSPACE_NAME as WS

    now = int(time.time() * 1000)
    models, versions, version_tags, model_tags = [], [], [], []
    for number in range(1, shape.versions - len(METRICS) + 1):
        versions.append(_version(WS, MODEL, number, now, archived=number % 10 == 0))
        for t in range(shape.filler_tags):
            version_tags.append(
                {
                    "workspace": WS,
                    "name": MODEL,
                    "version": number,
                    "key": "git_commit" if t == 0 else f"note_{t}",
                    "value": _sha(f"{MODEL}:{number}:{t}"),
                }
            )
    for i in range(1, shape.models):
        name = f"filler-model-{i:04d}"
        models.append(
            {
                "workspace": WS,
                "name": name,
                "creation_time": now,
                "last_updated_time": now,
                "description": "filler",
            }
        )
        for t in range(shape.filler_tags):
            model_tags.append({"workspace": WS, "name": name, "key": f"team_{t}", "value": "ml"})
        for number in range(1, shape.filler_versions + 1):
            versions.append(_version(WS, name, number, now, archived=False))
    with engine.begin() as conn:  # type: ignore[attr-defined]
        for table, rows in (
            (SqlRegisteredModel.__table__, models),
            (SqlRegisteredModelTag.__table__, model_tags),
            (SqlModelVersion.__table__, versions),
            (SqlModelVersionTag.__table__, version_tags),
        ):
            for start in range(0, len(rows), 5000):
                if rows[start : start + 5000]:
                    conn.execute(table.insert(), rows[start : start + 5000])


def _version(ws: str, name: str, number: int, now: int, *, archived: bool) -> dict[str, object]:
    return {
        "workspace": ws,
        "name": name,
        "version": number,
        "creation_time": now,
        "last_updated_time": now,
        "description": "",
        "current_stage": "Archived" if archived else "None",
        "source": f"models:/m-{_sha(f'{name}:{number}')[:32]}",
        "storage_location": None,
        "run_id": None,
        "status": "READY",
    }


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@contextlib.contextmanager
def _quiet():  # type: ignore[no-untyped-def]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---- SQLite templates ------------------------------------------------------------------


def sqlite_registry(shape: Shape, dest_dir: Path) -> tuple[str, Seeded]:
    """A seeded SQLite database of `shape` at dest_dir/<shape>.db, from the cache."""
    import mlflow

    CACHE.mkdir(parents=True, exist_ok=True)
    key = f"{shape.name}-{shape.versions}-{shape.models}-mlflow{mlflow.__version__}-s{SEED_FORMAT}"
    template = CACHE / f"{key}.db"
    if not template.exists():
        building = CACHE / f"{key}.building.db"
        building.unlink(missing_ok=True)
        seed(f"sqlite:///{building}", shape, CACHE / "artifacts")
        building.rename(template)
    dest_dir.mkdir(parents=True, exist_ok=True)
    db = dest_dir / f"{shape.name}.db"
    shutil.copy(template, db)
    return f"sqlite:///{db}", Seeded(shape, MODEL, roles_for(shape))


# ---- PostgreSQL: a fresh database per run ------------------------------------------------

PG_DSN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def postgres_available() -> str:
    """ "" when PostgreSQL answers on 127.0.0.1:5432, else why not."""
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 is not installed"
    try:
        psycopg2.connect(connect_timeout=3, **PG_DSN).close()
    except Exception as exc:
        return f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})"
    return ""


def create_pg_database(name: str) -> str:
    import psycopg2

    conn = psycopg2.connect(**PG_DSN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    # SQLAlchemy 2.1 defaults to psycopg 3; the venv has psycopg2.
    return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(**PG_DSN)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def postgres_registry(shape: Shape, db_name: str, artifacts: Path) -> tuple[str, Seeded]:
    uri = create_pg_database(db_name)
    return uri, seed(uri, shape, artifacts)
