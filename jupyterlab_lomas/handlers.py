"""The Jupyter server routes of the Lomas extension, behind Jupyter's own authentication.

The browser never holds the Lomas API key: it calls these routes on the Jupyter server, which
reads the key from the config file the notebook library reads (connection.py) and calls Lomas.

  GET    /lomas/connection      the server URL, who is signed in and their role (never the key)
  PUT    /lomas/connection      sign in: {"url", "token"} checked with GET /v1/me, then stored
  DELETE /lomas/connection      sign out: the key is removed from the file (the URL is kept)
  *      /lomas/api/<path>      Lomas's own API with the key added: GET on /v1/..., any method on
                                /admin/... (the Lomas server checks the admin role itself)

Errors are JSON bodies in the Lomas server's shape, {"code", "message", "details"}, whose
message says what to do; those made here (not by Lomas) carry details.via = "jupyterlab_lomas".
Nothing here logs or returns the key.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional
from urllib.parse import unquote

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse

from .connection import (
    Connection,
    ConnectionProblem,
    current,
    normalize_url,
    refuse_if_environment,
    write_file,
)

VIA = "jupyterlab_lomas"
SEGMENT = re.compile(r"^[A-Za-z0-9_.:@%~+-]{1,256}$")
QUERY = re.compile(r"^[A-Za-z0-9_.~%=&+:-]{0,2048}$")
PASSED_HEADERS = ("Content-Type", "Retry-After", "X-Request-Id")
SIGN_IN_HINT = 'Run "Lomas: Sign in" from the command palette.'


def problem(status: int, code: str, message: str) -> ConnectionProblem:
    return ConnectionProblem(status, code, message)


async def lomas_fetch(
    base: str,
    path: str,
    token: str,
    method: str = "GET",
    body: Optional[bytes] = None,
    timeout: float = 120,
) -> HTTPResponse:
    """One call to Lomas with the key; an unreachable server becomes UNAVAILABLE with advice."""
    request = HTTPRequest(
        base + path,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if body is not None else {}),
        },
        body=body,
        connect_timeout=10,
        request_timeout=timeout,
        follow_redirects=False,
        allow_nonstandard_methods=True,
    )
    try:
        return await AsyncHTTPClient().fetch(request, raise_error=False)
    except (OSError, HTTPClientError) as err:
        raise problem(
            503,
            "UNAVAILABLE",
            f"Could not reach the Lomas server at {base} ({err}). "
            "Is it running, and is the URL right? To use another server: " + SIGN_IN_HINT,
        ) from None


def lomas_error_message(response: HTTPResponse) -> str:
    """The message of a Lomas error body, or the HTTP status when the body is not one."""
    try:
        body = json.loads(response.body or b"")
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return body["message"]
    except ValueError:
        pass
    return f"HTTP {response.code}"


async def whoami(url: str, token: str) -> dict:
    """GET /v1/me: {user, role}, or a ConnectionProblem that says why the key or URL is wrong."""
    response = await lomas_fetch(url, "/v1/me", token, timeout=15)
    if response.code in (401, 403):
        raise problem(
            401,
            "UNAUTHENTICATED",
            f"The Lomas server at {url} refused this API key: {lomas_error_message(response)}",
        )
    me: Any = None
    if response.code == 200:
        try:
            me = json.loads(response.body or b"")
        except ValueError:
            me = None
    if not (isinstance(me, dict) and isinstance(me.get("user"), str) and isinstance(me.get("role"), str)):
        raise problem(
            502,
            "UNAVAILABLE",
            f"{url} answered GET /v1/me with HTTP {response.code}, not as a Lomas server does. Check the URL.",
        )
    return {"user": me["user"], "role": me["role"]}


async def describe(conn: Connection) -> dict:
    """What the browser may know of the connection: URL, user, role, state; never the key."""
    state: dict = {
        "url": conn.url,
        "source": conn.source,
        "configFile": str(conn.config_file),
    }
    if not conn.signed_in:
        return {**state, "status": "signed-out"}
    try:
        return {**state, "status": "signed-in", **(await whoami(conn.url, conn.token))}
    except ConnectionProblem as err:
        status = "refused" if err.code == "UNAUTHENTICATED" else "unreachable"
        return {**state, "status": status, "problem": err.message}


class LomasHandler(APIHandler):
    """JSON errors in the Lomas shape, marked as made by this extension."""

    def send_problem(self, err: ConnectionProblem) -> None:
        self.set_status(err.status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"code": err.code, "message": err.message, "details": {"via": VIA}}))

    def send_json(self, value: dict) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(value))


class ConnectionHandler(LomasHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.send_json(await describe(current()))

    @tornado.web.authenticated
    async def put(self) -> None:
        try:
            url, token = self.sign_in_body()
            refuse_if_environment("sign in")
            await whoami(url, token)  # nothing is stored unless the server accepts the key
            write_file({"url": url, "token": token})
        except ConnectionProblem as err:
            self.send_problem(err)
            return
        self.log.info("Lomas: signed in to %s (key stored in %s)", url, current().config_file)
        self.send_json(await describe(current()))

    @tornado.web.authenticated
    async def delete(self) -> None:
        try:
            refuse_if_environment("sign out")
            write_file({}, remove=("token",))
        except ConnectionProblem as err:
            self.send_problem(err)
            return
        self.log.info("Lomas: signed out (key removed from %s)", current().config_file)
        self.send_json(await describe(current()))

    def sign_in_body(self) -> tuple[str, str]:
        try:
            body = json.loads(self.request.body or b"")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise problem(400, "INVALID_REQUEST", 'Send {"url": ..., "token": ...} as JSON.')
        url, token = body.get("url"), body.get("token")
        if not isinstance(url, str) or not url.strip():
            raise problem(400, "INVALID_PARAMETER", "Give the Lomas server's URL, for example http://127.0.0.1:8765.")
        if not isinstance(token, str) or not re.fullmatch(r"[\x21-\x7e]{8,4096}", token.strip()):
            raise problem(
                400,
                "INVALID_PARAMETER",
                "Give your API key (lomas_…) or access token, as your administrator sent it, without spaces.",
            )
        return normalize_url(url), token.strip()


def upstream_path(method: str, raw_path: str) -> str:
    """The Lomas path of a proxied request, refused unless it is one the extension may use."""
    segments = raw_path.split("/")
    for segment in segments:
        decoded = unquote(segment)
        if not SEGMENT.match(segment) or decoded in (".", "..") or "/" in decoded or "\\" in decoded:
            raise problem(400, "INVALID_REQUEST", f"/{raw_path} is not a Lomas API path.")
    root = segments[0]
    if root == "admin" or (root == "v1" and method == "GET"):
        return "/" + "/".join(segments)
    raise problem(
        403,
        "FORBIDDEN",
        f"{method} /{raw_path} is not open to the browser: JupyterLab reads /v1/ and administers /admin/; "
        "queries are sent by the notebooks' kernels.",
    )


class ProxyHandler(LomasHandler):
    """Lomas's API for the front end, with the key added here."""

    async def forward(self) -> None:
        prefix = url_path_join(self.base_url, "lomas", "api") + "/"
        raw = self.request.path[len(prefix) :] if self.request.path.startswith(prefix) else ""
        try:
            path = upstream_path(self.request.method or "GET", raw)
            query = self.request.query
            if not QUERY.match(query):
                raise problem(400, "INVALID_REQUEST", "The query string has characters Lomas never uses.")
            conn = current()
            if not conn.signed_in:
                raise problem(401, "UNAUTHENTICATED", f"You are not signed in to Lomas. {SIGN_IN_HINT}")
            has_body = self.request.method in ("POST", "PUT", "PATCH")
            response = await lomas_fetch(
                conn.url,
                f"{path}{'?' + query if query else ''}",
                conn.token,
                method=self.request.method or "GET",
                body=(self.request.body or b"") if has_body else None,
            )
        except ConnectionProblem as err:
            self.send_problem(err)
            return
        self.set_status(response.code, reason=response.reason or "Lomas")
        for name in PASSED_HEADERS:
            value = response.headers.get(name)
            if value:
                self.set_header(name, value)
        self.set_header("Cache-Control", "no-store")  # issued keys, budgets: never cached
        self.finish(response.body or b"")

    @tornado.web.authenticated
    async def get(self, _path: str) -> None:
        await self.forward()

    @tornado.web.authenticated
    async def post(self, _path: str) -> None:
        await self.forward()

    @tornado.web.authenticated
    async def put(self, _path: str) -> None:
        await self.forward()

    @tornado.web.authenticated
    async def patch(self, _path: str) -> None:
        await self.forward()

    @tornado.web.authenticated
    async def delete(self, _path: str) -> None:
        await self.forward()


def setup_handlers(web_app: Any) -> None:
    base_url = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base_url, "lomas", "connection"), ConnectionHandler),
            (url_path_join(base_url, "lomas", "api", "(.*)"), ProxyHandler),
        ],
    )
