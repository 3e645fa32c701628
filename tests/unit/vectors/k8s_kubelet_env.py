"""The cases of the kubelet's TestMakeEnvironmentVariables, transcribed as data.

Source: kubernetes/kubernetes pkg/kubelet/kubelet_pods_test.go, TestMakeEnvironmentVariables,
read at commit 001a80e975bb880d0fe60b304d30950fe661f278 (after KEP-4369 made any printable
ASCII name but `=` valid). Apache-2.0.

The test pod is named "dapi-test-pod-name" in namespace `ns`, with serviceAccountName "special"
and nodeName "node-name"; its ConfigMap is "test-config-map", its Secret "test-secret".

`expected` is upstream's expectedEnvs without the service-link variables
(KUBERNETES_SERVICE_HOST, <SVC>_PORT_...): those come from the cluster's Services, not from
the manifest, and devenv's containers reach services by name instead. `cluster_only` are keys
the kubelet fills from the running cluster (pod/node IPs, the node's name): devenv reports them
as not mirrorable. `error` means the kubelet refuses to start the container.

Left out, with why: "if services aren't synced, ..." (kubelet service-lister state) and
"nil_enableServiceLinks" (a kubelet-internal nil pointer); none has an env devenv could mirror.
"""

from __future__ import annotations

from typing import Any, Optional

CONFIG_MAP_DATA = {"REPLACE_ME": "FROM_CONFIG_MAP", "DUPE_TEST": "CONFIG_MAP"}
SECRET_DATA = {"REPLACE_ME": "FROM_SECRET", "DUPE_TEST": "SECRET"}

LITERAL_SERVICE_VARS = [
    {"name": "FOO", "value": "BAR"},
    {"name": "TEST_SERVICE_HOST", "value": "1.2.3.3"},
    {"name": "TEST_SERVICE_PORT", "value": "8083"},
    {"name": "TEST_PORT", "value": "tcp://1.2.3.3:8083"},
    {"name": "TEST_PORT_8083_TCP", "value": "tcp://1.2.3.3:8083"},
    {"name": "TEST_PORT_8083_TCP_PROTO", "value": "tcp"},
    {"name": "TEST_PORT_8083_TCP_PORT", "value": "8083"},
    {"name": "TEST_PORT_8083_TCP_ADDR", "value": "1.2.3.3"},
]


def field(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


DOWNWARD = [
    field("POD_NAME", "metadata.name"),
    field("POD_NAMESPACE", "metadata.namespace"),
    field("POD_NODE_NAME", "spec.nodeName"),
    field("POD_SERVICE_ACCOUNT_NAME", "spec.serviceAccountName"),
    field("POD_IP", "status.podIP"),
    field("POD_IPS", "status.podIPs"),
    field("HOST_IP", "status.hostIP"),
    field("HOST_IPS", "status.hostIPs"),
]
IPS = [field("POD_IP", "status.podIP"), field("POD_IPS", "status.podIPs")]
IPS += [field("HOST_IP", "status.hostIP"), field("HOST_IPS", "status.hostIPs")]

EXPANSION = [
    {"name": "TEST_LITERAL", "value": "test-test-test"},
    field("POD_NAME", "metadata.name"),
    {"name": "OUT_OF_ORDER_TEST", "value": "$(OUT_OF_ORDER_TARGET)"},
    {"name": "OUT_OF_ORDER_TARGET", "value": "FOO"},
    {"name": "EMPTY_VAR"},
    {"name": "EMPTY_TEST", "value": "foo-$(EMPTY_VAR)"},
    {"name": "POD_NAME_TEST2", "value": "test2-$(POD_NAME)"},
    {"name": "POD_NAME_TEST3", "value": "$(POD_NAME_TEST2)-3"},
    {"name": "LITERAL_TEST", "value": "literal-$(TEST_LITERAL)"},
]
EXPANSION_EXPECTED = {
    "TEST_LITERAL": "test-test-test",
    "POD_NAME": "dapi-test-pod-name",
    "POD_NAME_TEST2": "test2-dapi-test-pod-name",
    "POD_NAME_TEST3": "test2-dapi-test-pod-name-3",
    "LITERAL_TEST": "literal-test-test-test",
    "OUT_OF_ORDER_TEST": "$(OUT_OF_ORDER_TARGET)",  # a forward reference stays literal
    "OUT_OF_ORDER_TARGET": "FOO",
    "TEST_UNDEFINED": "$(UNDEFINED_VAR)",
    "EMPTY_VAR": "",
    "EMPTY_TEST": "foo-",
}


def from_both(ref: str, name: str) -> list[dict[str, Any]]:
    return [{ref: {"name": name}}, {"prefix": "p_", ref: {"name": name}}]


ENV_WITH_EXPANSION = [
    {"name": "TEST_LITERAL", "value": "test-test-test"},
    {"name": "EXPANSION_TEST", "value": "$(REPLACE_ME)"},
    {"name": "DUPE_TEST", "value": "ENV_VAR"},
]


def key_ref(kind: str, name: str, optional: bool = True) -> list[dict[str, Any]]:
    ref = {"name": name, "key": "key", "optional": optional}
    return [{"name": "POD_NAME", "valueFrom": {kind: ref}}]


class Case:
    def __init__(
        self,
        name: str,
        ns: str,
        env: Optional[list[dict[str, Any]]] = None,
        env_from: Optional[list[dict[str, Any]]] = None,
        config_map: Optional[dict[str, str]] = None,
        secret: Optional[dict[str, str]] = None,
        expected: Optional[dict[str, str]] = None,
        cluster_only: tuple[str, ...] = (),
        error: bool = False,
        note: str = "",
    ):
        self.name, self.ns = name, ns
        self.env, self.env_from = env or [], env_from or []
        self.config_map, self.secret = config_map, secret
        self.expected = expected or {}
        self.cluster_only, self.error, self.note = cluster_only, error, note


CASES = [
    Case(
        "api server = Y, kubelet = Y",
        "test1",
        env=LITERAL_SERVICE_VARS,
        expected={e["name"]: e["value"] for e in LITERAL_SERVICE_VARS},
    ),
    Case(
        "api server = Y, kubelet = N",
        "test1",
        env=LITERAL_SERVICE_VARS,
        expected={e["name"]: e["value"] for e in LITERAL_SERVICE_VARS},
    ),
    Case(
        "api server = N; kubelet = Y", "test1", env=[{"name": "FOO", "value": "BAZ"}], expected={"FOO": "BAZ"}
    ),
    Case(
        "api server = N; kubelet = Y; service env vars",
        "test1",
        env=[{"name": "FOO", "value": "BAZ"}],
        expected={"FOO": "BAZ"},
    ),
    Case("master service in pod ns", "test2", env=[{"name": "FOO", "value": "ZAP"}], expected={"FOO": "ZAP"}),
    Case(
        "master service in pod ns, service env vars",
        "test2",
        env=[{"name": "FOO", "value": "ZAP"}],
        expected={"FOO": "ZAP"},
    ),
    Case("pod in master service ns", "default", expected={}),
    Case("pod in master service ns, service env vars", "default", expected={}),
    Case(
        "downward api pod",
        "downward-api",
        env=DOWNWARD,
        expected={
            "POD_NAME": "dapi-test-pod-name",
            "POD_NAMESPACE": "downward-api",
            "POD_SERVICE_ACCOUNT_NAME": "special",
        },
        cluster_only=("POD_NODE_NAME", "POD_IP", "POD_IPS", "HOST_IP", "HOST_IPS"),
    ),
    Case(
        "downward api pod ips reverse order",
        "downward-api",
        env=IPS,
        cluster_only=("POD_IP", "POD_IPS", "HOST_IP", "HOST_IPS"),
    ),
    Case(
        "downward api pod ips multiple ips",
        "downward-api",
        env=IPS,
        cluster_only=("POD_IP", "POD_IPS", "HOST_IP", "HOST_IPS"),
    ),
    Case(
        "env expansion",
        "test1",
        env=[*EXPANSION, {"name": "TEST_UNDEFINED", "value": "$(UNDEFINED_VAR)"}],
        expected=EXPANSION_EXPECTED,
    ),
    Case(
        "env expansion, service env vars",
        "test1",
        env=[
            *EXPANSION,
            {"name": "SERVICE_VAR_TEST", "value": "$(TEST_SERVICE_HOST):$(TEST_SERVICE_PORT)"},
            {"name": "TEST_UNDEFINED", "value": "$(UNDEFINED_VAR)"},
        ],
        expected={**EXPANSION_EXPECTED, "SERVICE_VAR_TEST": "$(TEST_SERVICE_HOST):$(TEST_SERVICE_PORT)"},
        note="upstream gives 1.2.3.3:8083 from the service links; without them the reference stays as written",
    ),
    Case("configmapkeyref_missing_optional", "test", env=key_ref("configMapKeyRef", "missing-config-map")),
    Case(
        "configmapkeyref_missing_key_optional",
        "test",
        env=key_ref("configMapKeyRef", "test-config-map"),
        config_map={"a": "b"},
    ),
    Case("secretkeyref_missing_optional", "test", env=key_ref("secretKeyRef", "missing-secret")),
    Case(
        "secretkeyref_missing_key_optional",
        "test",
        env=key_ref("secretKeyRef", "test-secret"),
        secret={"a": "b"},
    ),
    Case(
        "configmap",
        "test1",
        env=ENV_WITH_EXPANSION,
        env_from=from_both("configMapRef", "test-config-map"),
        config_map=CONFIG_MAP_DATA,
        expected={
            "TEST_LITERAL": "test-test-test",
            "REPLACE_ME": "FROM_CONFIG_MAP",
            "EXPANSION_TEST": "FROM_CONFIG_MAP",
            "DUPE_TEST": "ENV_VAR",
            "p_REPLACE_ME": "FROM_CONFIG_MAP",
            "p_DUPE_TEST": "CONFIG_MAP",
        },
    ),
    Case(
        "configmap allow prefix to start with a digital",
        "test1",
        env=ENV_WITH_EXPANSION,
        env_from=[
            {"configMapRef": {"name": "test-config-map"}},
            {"prefix": "1_", "configMapRef": {"name": "test-config-map"}},
        ],
        config_map=CONFIG_MAP_DATA,
        expected={
            "TEST_LITERAL": "test-test-test",
            "REPLACE_ME": "FROM_CONFIG_MAP",
            "EXPANSION_TEST": "FROM_CONFIG_MAP",
            "DUPE_TEST": "ENV_VAR",
            "1_REPLACE_ME": "FROM_CONFIG_MAP",
            "1_DUPE_TEST": "CONFIG_MAP",
        },
    ),
    Case(
        "configmap, service env vars",
        "test1",
        env=ENV_WITH_EXPANSION,
        env_from=from_both("configMapRef", "test-config-map"),
        config_map=CONFIG_MAP_DATA,
        expected={
            "TEST_LITERAL": "test-test-test",
            "REPLACE_ME": "FROM_CONFIG_MAP",
            "EXPANSION_TEST": "FROM_CONFIG_MAP",
            "DUPE_TEST": "ENV_VAR",
            "p_REPLACE_ME": "FROM_CONFIG_MAP",
            "p_DUPE_TEST": "CONFIG_MAP",
        },
    ),
    Case("configmap_missing", "test1", env_from=[{"configMapRef": {"name": "test-config-map"}}], error=True),
    Case(
        "configmap_missing_optional",
        "test",
        env_from=[{"configMapRef": {"name": "missing-config-map", "optional": True}}],
    ),
    Case(
        "configmap_invalid_keys_valid",
        "test",
        env_from=[{"prefix": "p_", "configMapRef": {"name": "test-config-map"}}],
        config_map={"1234": "abc"},
        expected={"p_1234": "abc"},
    ),
    Case(
        "secret",
        "test1",
        env=ENV_WITH_EXPANSION,
        env_from=from_both("secretRef", "test-secret"),
        secret=SECRET_DATA,
        expected={
            "TEST_LITERAL": "test-test-test",
            "REPLACE_ME": "FROM_SECRET",
            "EXPANSION_TEST": "FROM_SECRET",
            "DUPE_TEST": "ENV_VAR",
            "p_REPLACE_ME": "FROM_SECRET",
            "p_DUPE_TEST": "SECRET",
        },
    ),
    Case(
        "secret, service env vars",
        "test1",
        env=ENV_WITH_EXPANSION,
        env_from=from_both("secretRef", "test-secret"),
        secret=SECRET_DATA,
        expected={
            "TEST_LITERAL": "test-test-test",
            "REPLACE_ME": "FROM_SECRET",
            "EXPANSION_TEST": "FROM_SECRET",
            "DUPE_TEST": "ENV_VAR",
            "p_REPLACE_ME": "FROM_SECRET",
            "p_DUPE_TEST": "SECRET",
        },
    ),
    Case(
        "secret_missing",
        "test1",
        env_from=[{"secretRef": {"name": "test-secret"}}],
        error=True,
        note="devenv errs too: it cannot know the keys of a Secret no file shows",
    ),
    Case(
        "secret_missing_optional",
        "test",
        env_from=[{"secretRef": {"name": "missing-secret", "optional": True}}],
    ),
    Case(
        "secret_invalid_keys_valid",
        "test",
        env_from=[{"prefix": "p_", "secretRef": {"name": "test-secret"}}],
        secret={"1234.name": "abc"},
        expected={"p_1234.name": "abc"},
    ),
]

# Names with their secret-ness, where upstream reads a Secret: every value from one is secret.
SECRET_KEYS = {
    "secret": {"REPLACE_ME", "EXPANSION_TEST", "p_REPLACE_ME", "p_DUPE_TEST"},
    "secret, service env vars": {"REPLACE_ME", "EXPANSION_TEST", "p_REPLACE_ME", "p_DUPE_TEST"},
    "secret_invalid_keys_valid": {"p_1234.name"},
}
