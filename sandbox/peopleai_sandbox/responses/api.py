"""Request handling of the API origin: parse a request, call the backend, render the answer.

The order matters and is the real API's as far as it is known: an unknown path is a 404 before
anything else; then an injected fault may replace the answer; then the token endpoint needs no
bearer token and every other route does.
"""

from __future__ import annotations

import base64
import binascii
import sys
import traceback
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs

import orjson

from peopleai_sandbox.errors import ApiError
from peopleai_sandbox.models.backend import ExportBackend
from peopleai_sandbox.models.downloads import DownloadPlan
from peopleai_sandbox.models.jobs import job_document
from peopleai_sandbox.responses.echoes import with_echo
from peopleai_sandbox.responses.error_bodies import ErrorRenderer
from peopleai_sandbox.responses.faults import FaultInjector
from peopleai_sandbox.responses.hops import Chain, RedirectChains
from peopleai_sandbox.responses.messages import Download, Request, Response
from peopleai_sandbox.settings.faults import EMPTY_CHAIN_HOPS
from peopleai_sandbox.urls import API_ROUTES, resolve

Handler = Callable[[Request, Mapping[str, str]], "Response | Download"]
# Spoils a route's answer when a mutation strikes it (see mutations.py).
Spoiler = Callable[[str, "Response | Download"], "Response | Download"]


class ApiResponses:
    """The API's endpoints: token, create, list, status, data."""

    def __init__(
        self,
        backend: ExportBackend,
        injector: FaultInjector,
        errors: ErrorRenderer,
        redirect: Callable[[DownloadPlan], str] | None,
        chains: RedirectChains,
        spoil: Spoiler,
    ) -> None:
        self.backend = backend
        self._injector = injector
        self._errors = errors
        self._redirect = redirect
        self._chains = chains
        self._spoil = spoil
        self._variants = backend.config.variants
        self._handlers: dict[str, Handler] = {
            "token": self.token,
            "create": self.create,
            "list": self.list_jobs,
            "status": self.status,
            "data": self.data,
        }

    def handle(self, request: Request) -> Response | Download:
        """Answer one API request; errors become bodies of the configured shape."""
        self.backend.count("requests")
        try:
            route, params = resolve(API_ROUTES, request.method, request.path)
        except ApiError as error:
            return self._errors.response(error, request.path)
        answer = self._spoil(route.name, self._answer(route.name, request, params))
        if (
            isinstance(answer, Response)
            and answer.status >= 400
            and self.backend.faults.echo_requests
        ):
            self.backend.count_fault("echoed_request")
            return with_echo(answer, route.name, request)
        return answer

    def _answer(
        self, route: str, request: Request, params: Mapping[str, str]
    ) -> Response | Download:
        try:
            injected = self._injector.http_error(route, request.path)
            if injected is not None:
                return injected
            if route != "token":
                self.backend.authenticate(request.header("Authorization"))
            return self._handlers[route](request, params)
        except ApiError as error:
            return self._errors.response(error, request.path)
        except Exception as error:
            # a sandbox bug must surface as a clear 500, not as a dropped connection
            traceback.print_exc(file=sys.stderr)
            return self._errors.response(ApiError(500, "internal_error", repr(error)), request.path)

    def token(self, request: Request, params: Mapping[str, str]) -> Response:
        """The OAuth2 client-credentials token endpoint (form-encoded, or HTTP Basic)."""
        if request.content_type != "application/x-www-form-urlencoded":
            raise ApiError(
                400, "invalid_request", "token requests must be application/x-www-form-urlencoded"
            )
        form = {
            key: values[-1]
            for key, values in parse_qs(request.body.decode("utf-8", "replace")).items()
        }
        basic = _basic_credentials(request.header("Authorization"))
        return Response.json(
            200, self.backend.issue_token(form, basic), {"Cache-Control": "no-store"}
        )

    def create(self, request: Request, params: Mapping[str, str]) -> Response:
        """Create an export job from a JSON body."""
        if request.content_type != "application/json":
            raise ApiError(
                415,
                "unsupported_media_type",
                f"Content-Type {request.content_type or '(none)'} is not supported: "
                "send application/json",
            )
        try:
            payload = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            self.backend.count("validation_errors")
            raise ApiError(400, "bad_request", "request body is not valid JSON") from None
        job = self.backend.create_job(payload)
        return Response.json(200, job_document(job, self._variants))

    def list_jobs(self, request: Request, params: Mapping[str, str]) -> Response:
        """Every job of the retention period, oldest first, as a bare JSON array."""
        jobs = self.backend.list_jobs()
        return Response.json(200, [job_document(job, self._variants) for job in jobs])

    def status(self, request: Request, params: Mapping[str, str]) -> Response:
        """One job's object."""
        job = self.backend.get_job(params["job_id"])
        return Response.json(200, job_document(job, self._variants))

    def data(self, request: Request, params: Mapping[str, str]) -> Response | Download:
        """A Completed job's data, or one fragment; or a redirect to the storage origin."""
        plan = self.backend.plan_download(params["job_id"], request.query.get("fragment"))
        resource = (str(plan.job.public_id), str(plan.fragment_index))
        faults = self.backend.faults
        for kind, rate in (
            ("endless", faults.endless_redirect_rate),
            ("empty", faults.empty_redirect_rate),
        ):
            if self._injector.spoils_download(f"{kind}_redirect", rate, resource):
                self.backend.count_fault(f"{kind}_redirect")
                return self._chains.start(Chain(kind, EMPTY_CHAIN_HOPS))
        if self._redirect is not None:
            return Response(302, b"", "text/plain", {"Location": self._redirect(plan)})
        return Download(plan)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (client_id, secret) if separator else None
