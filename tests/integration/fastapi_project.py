"""A FastAPI + SQLAlchemy + Alembic + PostgreSQL service as a team has it before devenv: a
compose file (the app's folder bound into the container, a Dockerfile FROM a public python image,
the database password written in the file, a postgres service), production's config as Kustomize
(`deploy/base` + `deploy/overlays/prod`: a configMapGenerator from an env file, a prod patch, the
database URL from a Secret the cluster holds) and the project's own pytest tests. Written here for
devenv's tests; nothing is copied in. The app's libraries come from Debian (PyPI is not reachable
from builds here), so its image takes python3-fastapi and friends. No tests live here."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path
from typing import NamedTuple

from tests.conftest import free_port

COMPOSE = """\
services:
  api:
    build: ./backend
    command: sh -c "python3 -m alembic upgrade head && exec python3 -m uvicorn app.main:app --host 0.0.0.0 --port 8000"
    ports:
      - "{port}:8000"
    volumes:
      - ./backend:/code
    environment:
      DATABASE_URL: postgresql+psycopg2://tasks:{password}@db:5432/tasks
    depends_on:
      db:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "python3", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
      interval: 1s
      retries: 60
  db:
    image: postgres:15-alpine
    environment:
      POSTGRES_USER: tasks
      POSTGRES_PASSWORD: {password}
      POSTGRES_DB: tasks
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U tasks -d tasks"]
      interval: 1s
      retries: 60
    volumes:
      - pgdata:/var/lib/postgresql/data
volumes:
  pgdata:
"""

DOCKERFILE = """\
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      python3-fastapi python3-uvicorn python3-sqlalchemy python3-alembic python3-psycopg2 \\
      python3-pytest python3-httpx \\
 && rm -rf /var/lib/apt/lists/*
WORKDIR /code
COPY . .
CMD ["python3", "-m", "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
"""

MAIN = '''\
import os

from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import get_session
from app.models import Greeting

VERSION = "v1"

app = FastAPI(title=os.environ.get("APP_NAME", "tasks"))


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/greeting")
def greeting(session: Session = Depends(get_session)) -> dict:
    row = session.execute(select(Greeting).order_by(Greeting.id)).scalars().first()
    return {
        "version": VERSION,
        "text": row.text if row else None,
        "page_size": int(os.environ.get("PAGE_SIZE", "10")),
    }
'''

DB = '''\
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine)


def get_session():
    with SessionLocal() as session:
        yield session
'''

MODELS = '''\
from sqlalchemy import Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Greeting(Base):
    __tablename__ = "greetings"

    id = Column(Integer, primary_key=True)
    text = Column(String(200), nullable=False)
'''

ALEMBIC_INI = """\
[alembic]
script_location = migrations
prepend_sys_path = .
"""

ALEMBIC_ENV = '''\
import os

from alembic import context
from sqlalchemy import create_engine

from app.models import Base


def run_migrations_online() -> None:
    engine = create_engine(os.environ["DATABASE_URL"])
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

MIGRATION = '''\
"""create greetings

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "greetings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(200), nullable=False),
    )
    op.bulk_insert(table, [{"text": "hello from alembic"}])


def downgrade() -> None:
    op.drop_table("greetings")
'''

PROJECT_TESTS = '''\
import os

from fastapi.testclient import TestClient

from app.main import app

client = TestClient(app)


def test_health() -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_the_migration_seeded_a_greeting() -> None:
    assert client.get("/greeting").json()["text"] == "hello from alembic"


def test_production_page_size() -> None:
    assert os.environ["PAGE_SIZE"] == "50"
    assert client.get("/greeting").json()["page_size"] == 50
'''

BASE_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
configMapGenerator:
  - name: api-config
    literals:
      - APP_NAME=tasks
      - LOG_LEVEL=info
      - PAGE_SIZE=20
"""

BASE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/tasks/api:latest
          ports:
            - containerPort: 8000
          envFrom:
            - configMapRef:
                name: api-config
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: api-db
                  key: database-url
"""

BASE_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports:
    - port: 80
      targetPort: 8000
"""

PROD_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: tasks-prod
resources:
  - ../../base
configMapGenerator:
  - name: api-config
    behavior: merge
    envs:
      - prod.env
patches:
  - path: deployment-prod.yaml
"""

PROD_ENV = """\
LOG_LEVEL=warning
PAGE_SIZE=50
"""

PROD_PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          env:
            - name: REQUEST_TIMEOUT
              value: "30"
            - name: FORWARDED_ALLOW_IPS
              value: "*"
"""

# What production's api container gets from the overlay (the Secret is the cluster's).
PROD_VALUES = {
    "APP_NAME": "tasks",
    "LOG_LEVEL": "warning",
    "PAGE_SIZE": "50",
    "REQUEST_TIMEOUT": "30",
    "FORWARDED_ALLOW_IPS": "*",
}


class FastapiProject(NamedTuple):
    url: str  # the api as compose publishes it
    password: str  # the database password written in compose.yaml


def write_fastapi_project(root: Path) -> FastapiProject:
    """The project as the team has it, in `root`."""
    password = f"pw-{uuid.uuid4().hex[:12]}"
    port = free_port()
    files = {
        "compose.yaml": COMPOSE.format(port=port, password=password),
        "backend/Dockerfile": DOCKERFILE,
        "backend/alembic.ini": ALEMBIC_INI,
        "backend/app/__init__.py": "",
        "backend/app/main.py": MAIN,
        "backend/app/db.py": DB,
        "backend/app/models.py": MODELS,
        "backend/migrations/env.py": ALEMBIC_ENV,
        "backend/migrations/versions/0001_greetings.py": MIGRATION,
        "backend/tests/__init__.py": "",
        "backend/tests/test_api.py": PROJECT_TESTS,
        "deploy/base/kustomization.yaml": BASE_KUSTOMIZATION,
        "deploy/base/deployment.yaml": BASE_DEPLOYMENT,
        "deploy/base/service.yaml": BASE_SERVICE,
        "deploy/overlays/prod/kustomization.yaml": PROD_KUSTOMIZATION,
        "deploy/overlays/prod/prod.env": PROD_ENV,
        "deploy/overlays/prod/deployment-prod.yaml": PROD_PATCH,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return FastapiProject(f"http://127.0.0.1:{port}", password)
