"""A service's `build` uses the working tree and honours .dockerignore."""

from __future__ import annotations

import pytest

from devenv.config.load import load_project
from devenv.images.service_build import build_service_image, service_image_tag
from tests.conftest import harness_run_options
from tests.integration.registry_helpers import remove_image

pytestmark = pytest.mark.engine


def test_service_build_uses_the_working_tree_and_dockerignore(
    project, engine, docker_client, busybox_image
) -> None:
    api = project.root / "api"
    api.mkdir()
    (api / "Dockerfile").write_text(
        f"FROM {busybox_image}\nARG GREETING\nCOPY . /ctx\nRUN echo $GREETING > /greeting\n"
    )
    (api / ".dockerignore").write_text("secret.txt\n*.log\n")
    (api / "app.py").write_text("print('uncommitted edit')\n")
    (api / "secret.txt").write_text("do not ship\n")
    (api / "debug.log").write_text("noise\n")
    project.write('[services.api]\nbuild = { context = "api", args = { GREETING = "hi" } }\n')
    loaded = load_project(project.root, explicit=True)
    service = loaded.service("api")
    lines: list[str] = []
    image_id = build_service_image(engine, loaded, service, progress=lines.append)
    try:
        assert docker_client.api.inspect_image(service_image_tag(loaded, service))["Id"] == image_id
        out = docker_client.containers.run(
            image_id,
            ["/bin/sh", "-c", "ls /ctx; cat /greeting"],
            remove=True,
            **harness_run_options(docker_client),
        )
        assert out.decode().split() == ["Dockerfile", "app.py", "hi"]  # no secret.txt, no debug.log
        assert any(line.upper().startswith("STEP 1/") for line in lines)  # Podman's buildah: "STEP 1/4"
    finally:
        remove_image(docker_client, image_id)
