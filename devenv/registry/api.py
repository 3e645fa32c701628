"""A small Registry HTTP API v2 client with devenv's own deadlines.

The engine takes ~25 s to give up on a stalling registry, so devenv asks the registry itself
(connect 5 s, read 10 s by default) before it asks the engine to pull anything."""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from devenv import settings
from devenv.errors import RegistryError, RegistryNotFound, RegistryUnreachable
from devenv.registry.auth import Credentials
from devenv.registry.reference import CONTENT_TAG_PREFIX
from devenv.registry.tag_hints import nearest_first, shown_tags

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
_MAX_BODY = 8 * 1024 * 1024  # manifests and token answers are small; anything bigger is not for us


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 5.0
    read_s: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Timeouts:
        return cls(
            connect_s=settings.REGISTRY_CONNECT_TIMEOUT.get(environ),
            read_s=settings.REGISTRY_READ_TIMEOUT.get(environ),
        )


def use_plain_http(host: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Loopback registries speak plain HTTP (as the engine assumes); others only when listed in
    `DEVENV_REGISTRY_INSECURE` (comma-separated hosts)."""
    if host in settings.REGISTRY_INSECURE.get(environ):
        return True
    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 or host.startswith("[") else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class RegistryClient:
    """Talks to one registry host. Handles Basic and Bearer-token challenges transparently."""

    host: str  # host[:port]; "docker.io" is mapped to its API endpoint
    credentials: Optional[Credentials] = None
    timeouts: Timeouts = field(default_factory=Timeouts)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    _auth_header: dict[str, str] = field(default_factory=dict)  # scope -> Authorization value

    @property
    def base_url(self) -> str:
        api_host = "registry-1.docker.io" if self.host == "docker.io" else self.host
        scheme = "http" if use_plain_http(self.host, self.environ) else "https"
        return f"{scheme}://{api_host}"

    # --- public operations ---
    def check_login(self) -> None:
        """Raises unless `/v2/` accepts our credentials (used by `devenv login`)."""
        self._call("GET", "/v2/", scope="", what="the API root")

    def manifest_digest(self, repository: str, reference: str) -> str:
        """The content digest of `repository:reference` (a tag or a digest), via HEAD, else GET.
        A tag the registry does not hold: the error says whether the repository exists, and
        which tags it has."""
        try:
            return self._manifest_digest(repository, reference)
        except RegistryNotFound as err:
            if ":" in reference:  # a digest: its tags say nothing about it
                raise
            raise self._unknown_tag(repository, reference, err) from None

    def _unknown_tag(self, repository: str, tag: str, err: RegistryNotFound) -> RegistryNotFound:
        what = f"{self.host}/{repository}"
        try:
            tags = [t for t in self.tags(repository) if not t.startswith(CONTENT_TAG_PREFIX)]
        except RegistryNotFound:
            return RegistryNotFound(
                f"{what}:{tag}: registry {self.host} has no repository {repository}",
                hint="check the image name (`devenv images list` shows what the team registry offers), "
                "or build and push it",
            )
        except RegistryError:
            return err  # the tag list is a courtesy: keep the first answer
        if not tags:
            return RegistryNotFound(f"{what}:{tag}: the repository exists but holds no tags", hint=err.hint)
        ranked = nearest_first(tag, tags)
        return RegistryNotFound(
            f"{what}: no tag {tag!r} (the repository exists; its tags: {shown_tags(ranked)})",
            hint=f"use one of those tags (e.g. `{repository.rsplit('/', 1)[-1]}:{ranked[0]}`), "
            "or build and push this one",
        )

    def _manifest_digest(self, repository: str, reference: str) -> str:
        path = f"/v2/{repository}/manifests/{reference}"
        what = (
            f"{self.host}/{repository}:{reference}"
            if ":" not in reference
            else f"{self.host}/{repository}@{reference}"
        )
        headers = {"Accept": MANIFEST_TYPES}
        resp = self._call("HEAD", path, scope=f"repository:{repository}:pull", what=what, headers=headers)
        digest = resp.headers.get("docker-content-digest")
        if not digest:  # some registries omit the header on HEAD: hash the manifest ourselves
            resp = self._call("GET", path, scope=f"repository:{repository}:pull", what=what, headers=headers)
            digest = _digest(resp.headers, resp.body)
        return digest

    def manifest_digest_if_present(self, repository: str, reference: str) -> Optional[str]:
        """Like `manifest_digest`, but None when the registry does not hold it (HTTP 404)."""
        try:
            return self._manifest_digest(repository, reference)
        except RegistryNotFound:
            return None

    def manifest(self, repository: str, reference: str) -> tuple[bytes, str, str]:
        """(raw manifest, its media type, its digest) of `repository:reference`."""
        resp = self._call(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            scope=f"repository:{repository}:pull",
            what=f"{self.host}/{repository}:{reference}",
            headers={"Accept": MANIFEST_TYPES},
        )
        media_type = resp.headers.get("content-type", "").split(";")[0].strip()
        return resp.body, media_type, _digest(resp.headers, resp.body)

    def put_manifest(self, repository: str, tag: str, body: bytes, media_type: str) -> str:
        """Tag a manifest the registry already holds the blobs of (a retag: no layer moves)."""
        resp = self._call(
            "PUT",
            f"/v2/{repository}/manifests/{tag}",
            scope=f"repository:{repository}:pull,push",
            what=f"{self.host}/{repository}:{tag}",
            headers={"Content-Type": media_type},
            body=body,
        )
        return _digest(resp.headers, body)

    def blob(self, repository: str, digest: str, *, verify: bool = True) -> bytes:
        """A small blob (an image config) by digest, checked against the digest (unless the
        caller checks it itself); a redirect to the registry's storage is followed, without our
        credentials."""
        resp = self._call(
            "GET",
            f"/v2/{repository}/blobs/{digest}",
            scope=f"repository:{repository}:pull",
            what=f"{self.host}/{repository}@{digest}",
            follow=True,
        )
        if verify and "sha256:" + hashlib.sha256(resp.body).hexdigest() != digest:
            raise RegistryError(f"registry {self.host} sent a blob of {repository} that is not {digest[:19]}")
        return resp.body

    def has_blob(self, repository: str, digest: str) -> bool:
        try:
            self._call(
                "HEAD",
                f"/v2/{repository}/blobs/{digest}",
                scope=f"repository:{repository}:pull,push",
                what=f"{self.host}/{repository}@{digest}",
            )
        except RegistryNotFound:
            return False
        return True

    def upload_blob(self, repository: str, data: bytes, digest: str) -> None:
        """One monolithic upload (POST, then PUT with the digest), skipped when the registry
        holds the blob already; the registry checks the digest itself."""
        if self.has_blob(repository, digest):
            return
        scope, what = f"repository:{repository}:pull,push", f"{self.host}/{repository} (upload)"
        started = self._call("POST", f"/v2/{repository}/blobs/uploads/", scope=scope, what=what, body=b"")
        location = started.headers.get("location")
        if not location:
            raise RegistryError(f"registry {self.host} started an upload to {repository} without a location")
        url = urllib.parse.urljoin(self.base_url + "/", location)
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"digest": digest})
        self._call(
            "PUT", url, scope=scope, what=what, headers={"Content-Type": "application/octet-stream"}, body=data
        )

    def tags(self, repository: str) -> list[str]:
        resp = self._call(
            "GET",
            f"/v2/{repository}/tags/list",
            scope=f"repository:{repository}:pull",
            what=f"{self.host}/{repository}",
        )
        try:
            return sorted(json.loads(resp.body or b"{}").get("tags") or [])
        except (ValueError, AttributeError) as err:
            raise RegistryError(f"registry {self.host} sent an unreadable tag list for {repository}") from err

    def repositories(self) -> list[str]:
        """Every repository the registry lists (`/v2/_catalog`, one page of up to 1000)."""
        resp = self._call("GET", "/v2/_catalog?n=1000", scope="registry:catalog:*", what="the repository list")
        try:
            return sorted(json.loads(resp.body or b"{}").get("repositories") or [])
        except (ValueError, AttributeError) as err:
            raise RegistryError(f"registry {self.host} sent an unreadable repository list") from err

    # --- plumbing ---
    def _call(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        what: str,
        headers: Optional[dict[str, str]] = None,
        body: Optional[bytes] = None,
        follow: bool = False,
    ) -> Response:
        headers = dict(headers or {})
        if scope in self._auth_header:
            headers["Authorization"] = self._auth_header[scope]
        url = path if path.startswith(("http://", "https://")) else self.base_url + path  # an upload's location
        resp = self._send(method, url, headers, body)
        if resp.status == 401:
            auth = self._answer_challenge(resp.headers.get("www-authenticate", ""), scope)
            if auth:
                self._auth_header[scope] = auth
                headers["Authorization"] = auth
                resp = self._send(method, url, headers, body)
        if follow and resp.status in (301, 302, 303, 307, 308) and resp.headers.get("location"):
            resp = self._send("GET", urllib.parse.urljoin(url, resp.headers["location"]), {})
        if 200 <= resp.status < 300:
            return resp
        raise self._status_error(resp, what)

    def _answer_challenge(self, challenge: str, scope: str) -> Optional[str]:
        kind, _, params_text = challenge.partition(" ")
        creds = self.credentials
        if kind.lower() == "basic":
            if not creds or not creds.username:
                return None
            raw = f"{creds.username}:{creds.password or ''}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        if kind.lower() != "bearer":
            return None
        params = dict(re.findall(r'(\w+)="([^"]*)"', params_text))
        realm = params.get("realm")
        if not realm:
            return None
        query = {k: v for k, v in (("service", params.get("service")), ("scope", scope or None)) if v}
        token_headers = {}
        if creds and creds.username:
            raw = f"{creds.username}:{creds.password or ''}".encode()
            token_headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
        resp = self._send("GET", url, token_headers)
        if resp.status == 401:
            return None
        if resp.status != 200:
            raise self._status_error(resp, f"the token service of {self.host}")
        try:
            answer = json.loads(resp.body)
            return "Bearer " + str(answer.get("token") or answer["access_token"])
        except (ValueError, KeyError, TypeError) as err:
            raise RegistryError(f"registry {self.host}: token service {realm} sent no token") from err

    def _status_error(self, resp: Response, what: str) -> RegistryError:
        login_hint = f"run `devenv login {self.host}`"
        if resp.status == 401:
            if self.credentials:
                return RegistryError(
                    f"registry {self.host} rejected the stored credentials for {what}", hint=login_hint
                )
            return RegistryError(f"registry {self.host} needs a login for {what}", hint=login_hint)
        if resp.status == 403:
            return RegistryError(
                f"registry {self.host} denied access to {what}",
                hint=f"ask for access, or {login_hint} as another user",
            )
        if resp.status == 404:
            return RegistryNotFound(
                f"{what}: not found in registry {self.host} (unknown repository or tag)",
                hint="check the image name and tag, or build and push it (`devenv images push`)",
            )
        if resp.status == 429:
            return RegistryError(
                f"registry {self.host} is rate-limiting requests for {what}", hint="retry later"
            )
        return RegistryError(
            f"registry {self.host} failed with HTTP {resp.status} for {what}",
            hint="the registry itself is failing; retry later or ask its owner",
        )

    def _send(self, method: str, url: str, headers: dict[str, str], body: Optional[bytes] = None) -> Response:
        parts = urllib.parse.urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.netloc, timeout=self.timeouts.connect_s, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.netloc, timeout=self.timeouts.connect_s)
        t = self.timeouts
        try:
            try:
                conn.connect()
            except (socket.timeout, TimeoutError) as err:
                raise RegistryUnreachable(
                    f"registry {self.host} is unreachable: no connection within {t.connect_s:g} s",
                    hint="check the network/VPN; DEVENV_REGISTRY_CONNECT_TIMEOUT raises the limit",
                ) from err
            except ssl.SSLError as err:
                raise RegistryError(
                    f"registry {self.host}: TLS handshake failed ({err.reason})",
                    hint=f"if {self.host} serves plain HTTP, set DEVENV_REGISTRY_INSECURE={self.host}",
                ) from err
            except OSError as err:
                raise RegistryUnreachable(
                    f"registry {self.host} is unreachable ({err.strerror or err})",
                    hint="is the registry running and the address right? (`[project] registry` or DEVENV_REGISTRY)",
                ) from err
            if conn.sock is not None:
                conn.sock.settimeout(t.read_s)
            deadline = time.monotonic() + t.read_s * 2  # bounds a registry that trickles bytes
            try:
                conn.request(method, target, body=body, headers={"User-Agent": "devenv", **headers})
                raw = conn.getresponse()
                body = b""
                while method != "HEAD" and len(body) <= _MAX_BODY:
                    chunk = raw.read1(65536) if hasattr(raw, "read1") else raw.read(65536)
                    if not chunk:
                        break
                    body += chunk
                    if time.monotonic() > deadline:
                        raise socket.timeout("deadline")
            except (socket.timeout, TimeoutError) as err:
                raise RegistryUnreachable(
                    f"registry {self.host} stalled: no answer within {t.read_s:g} s",
                    hint="the registry is overloaded or hung; retry later (DEVENV_REGISTRY_READ_TIMEOUT raises the limit)",
                ) from err
            except (OSError, http.client.HTTPException) as err:
                raise RegistryUnreachable(f"registry {self.host} dropped the connection ({err})") from err
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, body)
        finally:
            conn.close()


def _digest(headers: Mapping[str, str], manifest: bytes) -> str:
    """The digest the registry names for a manifest, else the manifest's own (what it is by
    definition: a registry that omits the header still stores it under that digest)."""
    return headers.get("docker-content-digest") or "sha256:" + hashlib.sha256(manifest).hexdigest()
