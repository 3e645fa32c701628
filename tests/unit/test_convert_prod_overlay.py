"""Where `init --from` looks for production's Kustomize overlay: overlays/prod (or production)
holding a kustomization, up to two folders deep, never in hidden or vendored folders."""

from __future__ import annotations

from pathlib import Path

from devenv.convert.prod_overlay import find_overlays


def overlay(root: Path, rel: str, name: str = "kustomization.yaml") -> None:
    (root / rel).mkdir(parents=True)
    (root / rel / name).write_text("resources: [../../base]\n")


def test_overlays_named_prod_or_production_with_a_kustomization_are_found(tmp_path: Path) -> None:
    overlay(tmp_path, "overlays/prod")
    overlay(tmp_path, "deploy/overlays/production", "Kustomization")
    overlay(tmp_path, "deploy/k8s/overlays/prod", "kustomization.yml")
    assert find_overlays(tmp_path) == ["overlays/prod", "deploy/overlays/production", "deploy/k8s/overlays/prod"]


def test_other_overlays_hidden_vendored_deeper_or_bare_folders_are_not(tmp_path: Path) -> None:
    overlay(tmp_path, "deploy/overlays/staging")
    overlay(tmp_path, ".git/overlays/prod")
    overlay(tmp_path, "node_modules/x/overlays/prod")
    overlay(tmp_path, "a/b/c/overlays/prod")
    (tmp_path / "k8s/overlays/prod").mkdir(parents=True)  # no kustomization in it
    assert find_overlays(tmp_path) == []
