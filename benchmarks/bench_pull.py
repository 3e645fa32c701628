"""Pull benchmark: a cold pull through devenv vs `docker pull` of the same image from the same
registry (target <= 1.1x), and the no-op pull of a locked, present image (target <= 50 ms).

    DOCKER_HOST=... DEVENV_TEST_REGISTRY=127.0.0.1:5555 python benchmarks/bench_pull.py [--rounds 5] [--mb 60]

Builds an image offline (busybox base + random layers), pushes it, then alternates the peers,
removing the image before each cold pull. Prints medians and ratios; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import busybox_context


def build_image(client, registry: str, megabytes: int) -> tuple[str, str]:
    """A busybox image with three random layers; returns (ref, digest) after pushing."""
    chunk = max(1, megabytes // 3)
    extra = {f"blob{i}": os.urandom(chunk * 1024 * 1024) for i in range(3)}
    dockerfile = (
        "FROM scratch\nCOPY busybox /bin/busybox\nCOPY passwd /etc/passwd\nCOPY group /etc/group\n"
        + "".join(f"COPY blob{i} /data/blob{i}\n" for i in range(3))
        + f'LABEL bench="{uuid.uuid4().hex}"\n'
    )
    context = busybox_context(extra, dockerfile)
    ref = f"{registry}/bench-pull:{uuid.uuid4().hex[:8]}"
    repo, tag = ref.rsplit(":", 1)
    client.images.build(fileobj=io.BytesIO(context), custom_context=True, tag=ref, rm=True)
    digest = None
    for event in client.api.push(repo, tag=tag, stream=True, decode=True):
        if "error" in event:
            raise SystemExit(event["error"])
        if isinstance(event.get("aux"), dict):
            digest = event["aux"].get("Digest")
    return ref, digest


def remove(client, image_id: str) -> None:
    """Remove the image under every name (tag and digest), so the next pull is really cold."""
    import docker.errors

    try:
        client.api.remove_image(image_id, force=True)
    except docker.errors.ImageNotFound:
        pass


def main() -> int:
    import docker

    from devenv.engine.connect import connect
    from devenv.registry.pull import ensure_image
    from devenv.registry.reference import parse_reference

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mb", type=int, default=60, help="image payload size")
    parser.add_argument("--noop-images", type=int, default=20)
    opts = parser.parse_args()
    registry = os.environ.get("DEVENV_TEST_REGISTRY", "127.0.0.1:5555")
    client = docker.from_env(version="1.41", timeout=300)
    ref_text, digest = build_image(client, registry, opts.mb)
    ref = parse_reference(ref_text)
    pinned = f"{ref.name}@{digest}"
    image_id = client.api.inspect_image(ref_text)["Id"]
    engine = connect(timeout=300)
    devenv_times, docker_times = [], []
    try:
        for _ in range(opts.rounds):
            remove(client, image_id)
            start = time.perf_counter()
            subprocess.run(["docker", "pull", "-q", pinned], check=True, capture_output=True)
            assert client.api.inspect_image(pinned)["Id"] == image_id
            docker_times.append(time.perf_counter() - start)
            remove(client, image_id)
            start = time.perf_counter()
            assert ensure_image(engine, ref, locked_digest=digest).pulled
            devenv_times.append(time.perf_counter() - start)
        noop = []
        for _ in range(opts.noop_images):
            start = time.perf_counter()
            result = ensure_image(engine, ref, locked_digest=digest)
            noop.append(time.perf_counter() - start)
            assert not result.pulled
    finally:
        remove(client, image_id)
    d, k = statistics.median(devenv_times), statistics.median(docker_times)
    n = statistics.median(noop) * 1000
    ratio = d / k
    print(f"image: {opts.mb} MB in 3 layers from {registry}, {opts.rounds} rounds (medians)")
    print(f"cold pull  devenv {d:.3f} s   docker pull {k:.3f} s   ratio {ratio:.2f}x (target <= 1.10x)")
    print(f"no-op pull devenv {n:.1f} ms per image, max {max(noop) * 1000:.1f} ms (target <= 50 ms)")
    return 0 if ratio <= 1.1 and n <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
