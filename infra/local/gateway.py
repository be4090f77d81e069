"""A small HTTP server that turns requests into API Gateway REST proxy events.

It serves only the routes of infra/definitions.py, like the deployed API, and rejects an unknown
route as API Gateway does, without calling the function.
"""

import base64
import logging
import re
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from infra.definitions import ROUTES

# The local runtime is not Lambda code: it logs with the standard library, so importing it never
# builds the service's Powertools objects before the runtime has set their environment.
logger = logging.getLogger("backlinks.local")

LOCAL_HOSTS = ("127.0.0.1", "localhost")
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


def route_pattern(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(path)) + "$")


ROUTE_PATTERNS = [(route.method, route.path, route_pattern(route.path)) for route in ROUTES]
PUBLIC_ROUTES = {(route.method, route.path) for route in ROUTES if route.public}
# API Gateway's response bodies when a TOKEN authorizer rejects a request (401) or returns a Deny policy (403).
UNAUTHORIZED_BODY = b'{"message":"Unauthorized"}'
DENIED_BODY = b'{"message":"User is not authorized to access this resource with an explicit deny"}'


def match_route(method: str, path: str) -> str | None:
    for route_method, template, pattern in ROUTE_PATTERNS:
        if route_method == method and pattern.match(path):
            return template
    return None


class LambdaContext:
    """The attributes of a Lambda context object that Powertools reads."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


def build_event(
    method: str, raw_path: str, headers: dict[str, list[str]], body: bytes, resource: str
) -> dict:
    parts = urlsplit(raw_path)
    query = parse_qs(parts.query, keep_blank_values=True)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    path = unquote(parts.path)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in headers.items()},
        "multiValueHeaders": headers,
        "queryStringParameters": {name: values[-1] for name, values in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "local",
            "path": path,
            "httpMethod": method,
            "resourcePath": resource,
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": text if body else None,
        "isBase64Encoded": encoded,
    }


class LocalGateway:
    def __init__(
        self,
        handler: Callable[[dict, object], dict],
        host: str = "127.0.0.1",
        port: int = 0,
        authorizer: Callable[[dict, object], dict] | None = None,
    ) -> None:
        if host not in LOCAL_HOSTS:
            raise ValueError(f"the local gateway listens on 127.0.0.1 only, not {host!r}")
        self.handler = handler
        # The TOKEN authorizer run in front of every non-public route, as the deployed API does.
        # Unlike API Gateway, no result is cached, so a revoked token is refused at once.
        self.authorizer = authorizer
        self._authorizer_lock = threading.Lock()
        # One request at a time reaches the handler, as in one Lambda execution environment: the
        # resolver keeps the current event on a shared object.
        self._lock = threading.Lock()
        gateway = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                gateway.serve(self)

            do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), RequestHandler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever, name="local-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.reply(
                request, 413, {"Content-Type": ["application/json"]}, b'{"message":"Request Too Long"}'
            )
            return
        body = request.rfile.read(length) if length else b""
        path = urlsplit(request.path).path
        resource = match_route(request.command, unquote(path))
        if resource is None:
            # API Gateway rejects a route it does not have with 403 and this message.
            self.reply(
                request,
                403,
                {"Content-Type": ["application/json"]},
                b'{"message":"Missing Authentication Token"}',
            )
            return
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name, []).append(value)
        event = build_event(request.command, request.path, headers, body, resource)
        if self.authorizer is not None and (request.command, resource) not in PUBLIC_ROUTES:
            rejection = self.authorize(event)
            if rejection is not None:
                status, message = rejection
                self.reply(request, status, {"Content-Type": ["application/json"]}, message)
                return
        try:
            with self._lock:
                response = self.handler(event, LambdaContext("backlinks-api"))
        except Exception:  # noqa: BLE001 - a crashed function is a 502, as API Gateway returns it
            logger.exception("local_api_handler_error path=%s", event["path"])
            self.reply(
                request, 502, {"Content-Type": ["application/json"]}, b'{"message": "Internal server error"}'
            )
            return
        reply_headers: dict[str, list[str]] = {}
        for name, value in (response.get("headers") or {}).items():
            reply_headers[name] = [value]
        for name, values in (response.get("multiValueHeaders") or {}).items():
            reply_headers[name] = list(values)
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode("utf-8")
        self.reply(request, int(response["statusCode"]), reply_headers, data)

    def authorize(self, event: dict) -> tuple[int, bytes] | None:
        """Run the authorizer for a request event. Returns (status, body) of the rejection, or None.

        On success the authorizer's context goes into event["requestContext"]["authorizer"].
        """
        token = next(
            (value for name, value in event["headers"].items() if name.lower() == "authorization"), ""
        )
        if not token:
            # API Gateway rejects a missing identity source itself, without calling the authorizer.
            return 401, UNAUTHORIZED_BODY
        method_arn = (
            "arn:aws:execute-api:us-east-1:000000000000:local/local/"
            f"{event['httpMethod']}{event['requestContext']['resourcePath']}"
        )
        authorizer_event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        try:
            with self._authorizer_lock:
                result = self.authorizer(authorizer_event, LambdaContext("backlinks-authorizer"))
        except Exception as error:  # noqa: BLE001 - API Gateway maps authorizer errors to 401 or 500
            if str(error) == "Unauthorized":
                return 401, UNAUTHORIZED_BODY
            logger.exception("local_authorizer_error path=%s", event["path"])
            return 500, b'{"message":null}'
        statements = result.get("policyDocument", {}).get("Statement", [])
        if not statements or any(statement.get("Effect") != "Allow" for statement in statements):
            return 403, DENIED_BODY
        event["requestContext"]["authorizer"] = {
            **(result.get("context") or {}),
            "principalId": result.get("principalId"),
        }
        return None

    @staticmethod
    def reply(
        request: BaseHTTPRequestHandler, status: int, headers: dict[str, list[str]], data: bytes
    ) -> None:
        request.send_response(status)
        for name, values in headers.items():
            if name.lower() == "content-length":
                continue
            for value in values:
                request.send_header(name, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)
