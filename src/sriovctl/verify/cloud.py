"""Talk to a cloud's neutron (and nova) through openstacksdk, in neutron's own JSON.

openstacksdk handles clouds.yaml, the ``OS_*`` variables, tokens and the catalog; the
requests themselves go through its adapters with neutron's attribute names
(``binding:profile``, ``provider:physical_network``), so what we send is exactly what nova
sends and what we read is what the API returned, not the SDK's renaming of it.
openstacksdk is imported here only, when a command needs a cloud.
"""

from __future__ import annotations

from typing import Any, Optional

from sriovctl.errors import InputError, SriovctlError


class ApiError(SriovctlError):
    """The API refused a request; ``kind`` is neutron's exception name (e.g. Conflict)."""

    def __init__(self, message: str, status: int, kind: str = "", fix: Optional[str] = None):
        super().__init__(message, fix)
        self.status = status
        self.kind = kind


def connect(cloud: Optional[str]):
    """An openstack.connection.Connection for ``cloud`` (clouds.yaml) or the OS_* variables."""
    try:
        import openstack.exceptions

        import openstack
    except ImportError:
        raise InputError(
            "sriovctl verify needs openstacksdk", fix="pip install 'sriovctl[cloud]'"
        ) from None
    try:
        return openstack.connect(cloud=cloud) if cloud else openstack.connect()
    except openstack.exceptions.ConfigException as e:
        raise InputError(
            f"cannot use cloud {cloud or '(from OS_* variables)'}: {e}",
            fix="name a cloud of clouds.yaml with --cloud, or set OS_CLOUD / OS_AUTH_URL",
        ) from None


class Api:
    """neutron's (and, when present, nova's) REST API through an SDK connection."""

    def __init__(self, conn: Any):
        self.conn = conn

    # -- plumbing ----------------------------------------------------------------------------
    def _call(self, service: str, method: str, path: str, body: Optional[dict] = None) -> Any:
        import keystoneauth1.exceptions as ks

        adapter = getattr(self.conn, service)
        try:
            resp = adapter.request(path, method, json=body, raise_exc=False)
        except ks.connection.ConnectFailure as e:
            raise SriovctlError(
                f"cannot reach the {service} API: {e}", fix="check the cloud's endpoint"
            ) from None
        except ks.ClientException as e:
            raise SriovctlError(f"{service} API: {e}", fix="check the credentials") from None
        if resp.status_code >= 400:
            raise _api_error(service, method, path, resp)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    def get(self, path: str) -> Any:
        return self._call("network", "GET", path)

    def post(self, path: str, body: dict) -> Any:
        return self._call("network", "POST", path, body)

    def put(self, path: str, body: dict) -> Any:
        return self._call("network", "PUT", path, body)

    def delete(self, path: str) -> None:
        self._call("network", "DELETE", path)

    # -- neutron -----------------------------------------------------------------------------
    def agents(self, **filters: str) -> list[dict]:
        return self.get("/agents" + _query(filters))["agents"]

    def extensions(self) -> set[str]:
        return {e["alias"] for e in self.get("/extensions")["extensions"]}

    def network(self, net_id: str) -> dict:
        return self.get(f"/networks/{net_id}")["network"]

    def port(self, port_id: str) -> dict:
        return self.get(f"/ports/{port_id}")["port"]

    def subnet(self, subnet_id: str) -> dict:
        return self.get(f"/subnets/{subnet_id}")["subnet"]

    def tagged(self, kind: str, tag: str) -> list[dict]:
        return self.get(f"/{kind}" + _query({"tags": tag}))[kind]

    def set_tag(self, kind: str, item_id: str, tag: str) -> None:
        self._call("network", "PUT", f"/{kind}/{item_id}/tags/{tag}")

    # -- nova (only with --boot) ---------------------------------------------------------------
    def has_compute(self) -> bool:
        """Whether nova answers; the catalog alone can name an endpoint nobody serves."""
        try:
            self.compute("GET", "/flavors?limit=1")
            return True
        except Exception:  # noqa: BLE001 - any failure means "no usable nova"
            return False

    def compute(self, method: str, path: str, body: Optional[dict] = None) -> Any:
        return self._call("compute", method, path, body)


def segments_of(api: Api, network: dict) -> list[dict]:
    """A network's segments in ML2's binding order, with ids when the API shows them.

    The network view gives the order (multi-provider ``segments``, else the provider
    attributes) but no ids; ``/segments`` (the ``segment`` extension) gives the ids, which
    matter only for subnets on segments, which exist only with that extension.
    """
    keys = ("network_type", "physical_network", "segmentation_id")
    if network.get("segments"):
        ordered = [{k: s.get(f"provider:{k}") for k in keys} for s in network["segments"]]
    else:
        ordered = [{k: network.get(f"provider:{k}") for k in keys}]
    try:
        found = api.get("/segments?network_id=" + network["id"])["segments"]
    except ApiError:
        found = []
    for seg in ordered:
        seg["network_id"] = network["id"]
        seg["id"] = next((f["id"] for f in found if all(f.get(k) == seg[k] for k in keys)), "")
    return ordered


def _query(filters: dict) -> str:
    from urllib.parse import urlencode

    return ("?" + urlencode(filters)) if filters else ""


def _api_error(service: str, method: str, path: str, resp: Any) -> ApiError:
    kind, message = "", resp.text.strip()[:300]
    try:
        data = resp.json()
        err = data.get("NeutronError") or next(iter(data.values()))
        if isinstance(err, dict):
            kind = err.get("type", "")
            message = err.get("message", message)
    except (ValueError, StopIteration, AttributeError):
        pass
    return ApiError(
        f"{service} {method} {path.split('?')[0]}: {resp.status_code} {kind} {message}".strip(),
        resp.status_code, kind,
    )
