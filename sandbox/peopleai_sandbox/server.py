"""The running emulator: the backend, the API origin and (redirected downloads) the storage origin.

``SandboxServer`` wires the parts together — models (``models.backend``), request handling
(``responses.api``, ``responses.control``, ``responses.storage``), route tables (``urls``),
faults, download assembly and HTTP plumbing (``wire.httpd``) — and starts and stops the servers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from peopleai_sandbox.models.backend import ExportBackend
from peopleai_sandbox.models.clock import SandboxClock
from peopleai_sandbox.models.downloads import DownloadPlan
from peopleai_sandbox.models.stats import Counters
from peopleai_sandbox.responses.api import ApiResponses
from peopleai_sandbox.responses.control import ControlResponses
from peopleai_sandbox.responses.downloads import AssembledDownload, assemble, iter_chunks
from peopleai_sandbox.responses.error_bodies import ErrorRenderer
from peopleai_sandbox.responses.faults import FaultInjector
from peopleai_sandbox.responses.hops import HOPS_PREFIX, Chain, RedirectChains
from peopleai_sandbox.responses.messages import Download, Request, Response
from peopleai_sandbox.responses.mutations import Mutator, gzip_body, mutate
from peopleai_sandbox.responses.storage import Presigner, StorageResponses
from peopleai_sandbox.settings.config import SandboxConfig
from peopleai_sandbox.urls import CONTROL_PREFIX
from peopleai_sandbox.wire.httpd import HttpServer


class _Origin:
    """One origin (API or storage) as its HTTP server sees it: a ``httpd.Site``."""

    def __init__(
        self,
        server: SandboxServer,
        software: str,
        respond: Callable[[Request], Response | Download],
    ) -> None:
        self._server = server
        self._respond = respond
        self.server_software = software
        self.clock: SandboxClock = server.backend.clock
        self.counters: Counters = server.backend.counters
        self.verbose = server.verbose

    def handle(self, request: Request) -> Response | Download:
        return self._respond(request)

    def assemble(self, plan: DownloadPlan) -> AssembledDownload:
        return self._server.assemble(plan)


class SandboxServer:
    """The running emulator: API server, optional storage server, and the shared backend."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        self.config = config or SandboxConfig()
        self.backend = ExportBackend(self.config)
        self.verbose = verbose
        backend = self.backend
        errors = ErrorRenderer(self.config.variants.error_shape, backend.clock)
        self.injector = FaultInjector(
            lambda: backend.faults, backend.dice, backend.counters, errors
        )
        self._threads: list[threading.Thread] = []
        try:
            self.api = HttpServer((host, port), _Origin(self, "peopleai-sandbox", self.answer_api))
            self.storage: HttpServer | None = None
            if self.config.variants.redirect_downloads:
                self.storage = HttpServer((host, 0), _Origin(self, "AmazonS3", self.answer_storage))
        except BaseException:
            backend.close()
            raise
        self.host = host
        self.port = int(self.api.server_address[1])
        self.url = f"http://{_url_host(host)}:{self.port}"
        self.storage_url: str | None = None
        presigner = Presigner(backend.clock)
        redirect = None
        if self.storage is not None:
            storage_url = f"http://{_url_host(host)}:{int(self.storage.server_address[1])}"
            self.storage_url = storage_url

            def redirect(plan: DownloadPlan) -> str:
                return presigner.url(storage_url, plan)

        self.chains = RedirectChains()
        self._mutator = Mutator(lambda: backend.faults.mutations)
        self._api = ApiResponses(backend, self.injector, errors, redirect, self.chains, self.spoil)
        self._control = ControlResponses(backend)
        self._storage = StorageResponses(
            presigner, backend.plan_download, self.injector, backend.counters
        )

    def answer_api(self, request: Request) -> Response | Download:
        """Answer a request to the API origin (control endpoints included)."""
        if request.path.startswith(CONTROL_PREFIX):
            return self._control.handle(request)
        if request.path.startswith(HOPS_PREFIX):
            return self.chains.handle(request)
        return self._api.handle(request)

    def answer_storage(self, request: Request) -> Response | Download:
        """Answer a request to the storage origin."""
        return self.spoil("storage", self._storage.handle(request))

    def spoil(self, route: str, answer: Response | Download) -> Response | Download:
        """The answer of one request of ``route``, spoiled if a mutation strikes it."""
        mutation = self._mutator.next_request(route)
        if mutation is None:
            return answer
        self.backend.count_fault("mutation")
        if isinstance(answer, Download):
            answer = self._materialize(answer.plan)
        spoiled = mutate(mutation, answer)
        if mutation.redirects:
            return self.chains.start(Chain("answer", mutation.redirects, spoiled))
        return spoiled

    def _materialize(self, plan: DownloadPlan) -> Response:
        """A download as one complete answer in memory, so that a mutation can spoil it."""
        download = self.assemble(plan)
        body = b"".join(iter_chunks(download.segments, download.cut_after))
        headers = {}
        if download.gzip:
            body = gzip_body(body, finish=download.cut_after is None)
        if download.gzip or download.content_encoding:
            headers["Content-Encoding"] = download.content_encoding or "gzip"
        self.backend.count("downloads")
        self.backend.count("bytes_served", len(body))
        answer = Response(200, body, "application/x-ndjson", headers)
        if download.cut_after is not None:  # a dropped connection stays one
            answer.declared_length = download.total
            answer.close = True
        return answer

    def assemble(self, plan: DownloadPlan) -> AssembledDownload:
        """The bytes of one download, with the variants and the faults in force."""
        backend = self.backend
        return assemble(
            plan,
            self.config.variants,
            backend.faults,
            self.injector,
            backend.dice,
            backend.counters,
        )

    def start(self) -> None:
        """Serve in background daemon threads."""
        for server in (self.api, self.storage):
            if server is None:
                continue
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"peopleai-sandbox-{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving, close open connections and delete rendered files."""
        for server in (self.api, self.storage):
            if server is None:
                continue
            if self._threads:
                server.shutdown()
            server.server_close()
            server.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        self.backend.close()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
