"""Publish and stack-include benchmark, whole processes, in the same run:

- `devenv publish` of a stack with one code service vs the raw image work it does — `docker
  build` of the same release image with the engine's builder (the base plus the code, a fresh
  layer each round) and `docker push` of it (target: publish <= 1 s above that);
- `devenv lock` of a project with three `stack =` includes (target <= 1 s), with the stacks
  cached (the registry asked what each tag names now) and with the cache emptied (each artifact
  fetched and checked again).

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python benchmarks/bench_publish.py [--rounds 5]

Prints medians and one JSON line; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import busybox_context

CODE_FILES = 40  # a small service's committed code


def sh(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return done


def devenv(cwd: Path, env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    sh(sys.executable, "-m", "devenv", *args, cwd=cwd, env=env)
    return time.perf_counter() - start


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    sh("git", "-c", "user.email=b@b", "-c", "user.name=b", *args, cwd=cwd, env=env)


def base_image(client, registry: str) -> str:
    import io

    ref = f"{registry}/busybox:bench-publish"
    client.images.build(fileobj=io.BytesIO(busybox_context()), custom_context=True, tag=ref, rm=True)
    for line in client.images.push(ref, stream=True, decode=True):
        if "error" in line:
            raise SystemExit(line["error"])
    return ref


def stack_project(folder: Path, env: dict[str, str], toml: str, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "devenv.toml").write_text(toml)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    git(folder, env, "init", "-q", "-b", "main")
    devenv(folder, env, "lock")
    git(folder, env, "add", "-A")
    git(folder, env, "commit", "-qm", "v1")
    return folder


def main() -> int:
    import docker

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    client = docker.from_env(version="1.41", timeout=300)
    run_id = uuid.uuid4().hex[:8]
    tmp = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    env = {**os.environ, "DEVENV_STATE_DIR": str(tmp / "state"), "NO_COLOR": "1", "DEVENV_TRUST": "1"}
    made: list[str] = []
    try:
        base = base_image(client, registry)
        name = f"bnotify{run_id}"
        code = {f"app/mod{i}.py": f"VALUE = {i}\n" * 50 for i in range(CODE_FILES)}
        notify = stack_project(
            tmp / name,
            env,
            f'[project]\nname = "{name}"\nregistry = "{registry}"\n\n[env]\nprod = ["prod.env"]\n\n'
            f'[services.mail]\nimage = "{base.split("/", 1)[1]}"\ncode = "/app"\nenv = "prod"\n'
            'command = ["sleep", "1d"]\n',
            {**code, "prod.env": "MAIL_FROM=notify@prod\n"},
        )
        publish_times, raw_times = [], []
        raw_dir = tmp / "raw"
        (raw_dir / "code").mkdir(parents=True)
        for name_, text in code.items():
            (raw_dir / "code" / name_).parent.mkdir(parents=True, exist_ok=True)
            (raw_dir / "code" / name_).write_text(text)
        (raw_dir / "Dockerfile").write_text(f"FROM {base}\nCOPY code/ /app/\n")
        # The engine's own builder, which devenv builds release images with (as `export --push`).
        raw_env = {**env, "DOCKER_BUILDKIT": "0"}
        for round_ in range(opts.rounds):
            stamp = uuid.uuid4().hex
            (notify / "app" / "stamp.py").write_text(f"STAMP = {stamp!r}\n")  # a fresh code layer
            git(notify, env, "add", "-A")
            git(notify, env, "commit", "-qm", f"round {round_}")
            publish_times.append(devenv(notify, env, "publish", "--tag", f"r{round_}", "--json"))
            made.append(f"{registry}/{name}-mail")
            (raw_dir / "code" / "app" / "stamp.py").write_text(f"STAMP = {stamp!r}\n")
            raw_ref = f"{registry}/braw{run_id}:r{round_}"
            start = time.perf_counter()
            labels = [
                f"--label=org.opencontainers.image.{k}={stamp}"
                for k in ("revision", "created", "title", "source")
            ]
            sh(
                "docker",
                "build",
                "-q",
                *labels,
                "--label=dev.devenv.release=x",
                "-t",
                raw_ref,
                str(raw_dir),
                cwd=tmp,
                env=raw_env,
            )
            sh("docker", "push", "-q", raw_ref, cwd=tmp, env=env)
            raw_times.append(time.perf_counter() - start)
            made.append(raw_ref)

        # Three published stacks, and a project including all three.
        body = f'[project]\nname = "bshop{run_id}"\nregistry = "{registry}"\n\n'
        for i in range(3):
            sname = f"bstack{i}{run_id}"
            stack_project(
                tmp / sname,
                env,
                f'[project]\nname = "{sname}"\nregistry = "{registry}"\n\n'
                f'[services.s{i}]\nimage = "{base.split("/", 1)[1]}"\ncommand = ["sleep", "1d"]\n',
                {},
            )
            devenv(tmp / sname, env, "publish", "--tag", "1")
            body += f'[include.s{i}]\nstack = "{sname}:1"\n\n'
        shop = tmp / "bshop"
        shop.mkdir()
        (shop / "devenv.toml").write_text(body)
        devenv(shop, env, "lock")
        warm = [devenv(shop, env, "lock") for _ in range(opts.rounds)]
        plain = tmp / "bplain"  # the same command with nothing to resolve: what the process costs
        plain.mkdir()
        (plain / "devenv.toml").write_text(f'[project]\nname = "bplain{run_id}"\nregistry = "{registry}"\n')
        bare = [devenv(plain, env, "lock") for _ in range(opts.rounds)]
        cold = []
        for _ in range(opts.rounds):
            shutil.rmtree(tmp / "state" / "cache" / "stacks", ignore_errors=True)
            cold.append(devenv(shop, env, "lock"))
    finally:
        for ref in made:
            for image in client.images.list(name=ref.split(":")[0] if "/" in ref else ref):
                try:
                    client.api.remove_image(image.id, force=True)
                except docker.errors.APIError:
                    pass
        shutil.rmtree(tmp, ignore_errors=True)
    p, r = statistics.median(publish_times), statistics.median(raw_times)
    w, c, b = statistics.median(warm), statistics.median(cold), statistics.median(bare)
    print(f"{opts.rounds} rounds, registry {registry} (medians, whole processes)")
    print(
        f"publish  devenv publish {p:.3f} s   docker build+push {r:.3f} s   above it {p - r:+.3f} s (target <= +1 s)"
    )
    print(f"lock, 3 stack includes: cached {w:.3f} s   cache emptied {c:.3f} s (target <= 1 s)")
    print(
        f"         lock with no include {b:.3f} s: the includes cost {w - b:+.3f} s cached, {c - b:+.3f} s emptied"
    )
    ok = p - r <= 1.0 and w <= 1.0 and c <= 1.0
    print(json.dumps({"bench": "publish", "publish_s": round(p, 3), "raw_build_push_s": round(r, 3),
                      "publish_overhead_s": round(p - r, 3), "lock_3_stacks_cached_s": round(w, 3),
                      "lock_3_stacks_cold_s": round(c, 3), "lock_no_include_s": round(b, 3), "ok": ok}))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
