"""Where a patched env value was written: the `value:` line of the patch's own entry."""

from __future__ import annotations

from pathlib import Path

from devenv.envvars.kustomize_origin import _Files, _find_env

PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
spec:
  template:
    spec:
      containers:
        - name: web
          env:
            - name: WEB_CONCURRENCY
              value: "1"
            - name: LOG_LEVEL
              value: debug
            - value: "on"
              name: FLAG
            - name: FROM_SECRET
              valueFrom: {secretKeyRef: {name: s, key: k}}
            - name: AFTER
              value: x
"""


def find(tmp_path: Path, name: str, value: str | None) -> tuple[str | None, str | None]:
    patch = tmp_path / "patch.yaml"
    patch.write_text(PATCH)
    return _find_env(_Files(tmp_path, tmp_path), [patch], name, value, "web")


def test_each_entry_points_at_its_own_value_line_never_the_one_above(tmp_path: Path) -> None:
    assert find(tmp_path, "WEB_CONCURRENCY", "1") == ("patch.yaml:11", "patch.yaml:12")
    assert find(tmp_path, "LOG_LEVEL", "debug") == ("patch.yaml:13", "patch.yaml:14")
    assert find(tmp_path, "FLAG", "on") == ("patch.yaml:16", "patch.yaml:15")  # value written first
    assert find(tmp_path, "AFTER", "x") == ("patch.yaml:19", "patch.yaml:20")
