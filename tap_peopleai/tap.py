"""tap-peopleai: the tap, its settings (parsed once, typed) and the stream list."""

from __future__ import annotations

import datetime as dt
import gc
import io
import logging
import os
import sys
from functools import cached_property
from pathlib import PurePath
from typing import IO, Any, NoReturn

import click
from singer_sdk import Stream
from singer_sdk.tap_base import CliTestOptionValue
from typing_extensions import override

from tap_peopleai.api.client import PeopleAIClient
from tap_peopleai.api.connection_check import (
    CONNECTION_TEST_RETRY,
    CONNECTION_TEST_TIMEOUT,
    check_connection,
)
from tap_peopleai.api.retry_policy import RetryPolicy
from tap_peopleai.api.transport import ApiTransport
from tap_peopleai.errors import TapPeopleAIError
from tap_peopleai.interrupts import GUARD, SyncInterrupted
from tap_peopleai.sdk.internals import read_input_files_with
from tap_peopleai.sdk.writer import BufferedOrjsonWriter
from tap_peopleai.settings.input_files import InputFileError, read_input_file
from tap_peopleai.settings.objects import TapSettings, validate_settings
from tap_peopleai.settings.schema import DEFAULT_API_URL, settings_schema
from tap_peopleai.settings.values import (
    SettingsError,
    environment_values,
    unknown_settings_warning,
)
from tap_peopleai.state.entries import check_state_shape
from tap_peopleai.streams import ActivitiesStream, ReconciliationsStream, SettingsTap


class TapPeopleAI(SettingsTap):
    """Sales activities (emails, meetings, calls) from People.ai's bulk Raw Activity Data export."""

    name = "tap-peopleai"
    message_writer_class = BufferedOrjsonWriter

    config_jsonschema = settings_schema()

    @override
    def __init__(
        self,
        *,
        config: dict[str, Any] | PurePath | str | list[PurePath | str] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        **kwargs: Any,
    ) -> None:
        # Kept for `settings`: environment values are parsed from their text, and a tap that need
        # not validate its settings (discovery) reads none.
        self._reads_environment = parse_env_config
        self._validates_settings = validate_config
        check_state_shape(kwargs.get("state"))
        try:
            super().__init__(
                config=config,
                parse_env_config=parse_env_config,
                validate_config=validate_config,
                **kwargs,
            )
        except ValueError as exc:
            # With `--config ENV` the SDK converts the variable of an integer setting with int()
            # and fails on text such as "abc" with a bare ValueError: name the setting instead.
            if not parse_env_config or not isinstance(config, dict):
                raise
            TapSettings.from_config({**config, **environment_values(os.environ)})
            problem = (
                f"A TAP_PEOPLEAI_* variable of a built-in setting could not be read ({exc}): "
                "`stream_maps`, `stream_map_config`, `faker_config` and `batch_config` take a "
                "JSON object, `flattening_max_depth` and `flattening_max_key_length` a whole "
                "number."
            )
            raise SettingsError([problem]) from exc
        # After the SDK's own, which would exit 0 with a STATE written mid-output.
        GUARD.install()

    @cached_property
    def settings(self) -> TapSettings:
        """The settings, parsed once from the values as given (environment variables as text)."""
        given = dict(self.config)
        if self._reads_environment:
            given.update(environment_values(os.environ))
        return TapSettings.from_config(given)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # The tap's parser is the authority on its settings. Every value it accepts fits the
        # schema, so the SDK's schema check that follows judges only the SDK's built-ins.
        if not raise_errors:
            # Discovery: the catalog is static and needs no settings. Problems are reported by
            # the run that needs the settings, not as a bare "Config validation failed" here.
            return []
        known = self.config_jsonschema
        self.append_builtin_config(known)
        warning = unknown_settings_warning(self.config, os.environ, known["properties"])
        if warning:
            self.logger.warning("%s", warning)
        problems = validate_settings(self.settings, dt.datetime.now(dt.timezone.utc).date())
        if problems:
            raise SettingsError(problems)
        self.logger.info("Settings: %s.", self.settings.describe())
        return super()._validate_config(raise_errors=raise_errors)

    @cached_property
    def client(self) -> PeopleAIClient:
        """The API client shared by the streams."""
        if not self._validates_settings:
            # Discovery reads no settings and never calls the API.
            return PeopleAIClient(ApiTransport(DEFAULT_API_URL, logger=self.logger))
        poll_interval = self.settings.pipeline.poll_interval
        return self.new_client(RetryPolicy(base_seconds=min(poll_interval, 1.0)))

    def new_client(
        self, retry: RetryPolicy, timeout: tuple[float, float] = (10.0, 60.0)
    ) -> PeopleAIClient:
        """An API client for the settings, retrying and timing out as asked."""
        api = self.settings.api
        http = ApiTransport(
            api.api_url, ca_bundle=api.ca_bundle, retry=retry, timeout=timeout, logger=self.logger
        )
        return PeopleAIClient(
            http,
            client_id=api.client_id,
            client_secret=api.client_secret,
            access_token=api.access_token,
        )

    @override
    def discover_streams(self) -> list[Stream]:
        activities = ActivitiesStream(self, client=self.client)
        return [activities, ReconciliationsStream(self, activities)]

    @classmethod
    @override
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        # What is alive now (modules, classes, settings) lives until the process exits. Frozen,
        # it is no longer walked by every full collection nor torn down at exit (0.1 s here),
        # and forked BATCH workers share its pages instead of copying them.
        gc.freeze()
        try:
            super().invoke(*args, **kwargs)
        except TapPeopleAIError as exc:
            cls._exit_with(exc)
        except SyncInterrupted as stop:
            GUARD.run_cleanups(stop)
            cls.logger.error(
                "Interrupted by %s %s. The last STATE message covers every record emitted "
                "before it and temporary files were removed.",
                stop.signal_name,
                stop.summary,
            )
            sys.stdout.flush()
            logging.shutdown()
            # Download threads may sit in a retry's back-off: nothing is left to wait for.
            os._exit(stop.exit_code)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        # `--test` builds the tap while click parses the options, outside `invoke`. The SDK's
        # --test is a real sync capped at one record: it would create export jobs that hold the
        # organisation's queue for hours. This checks what it can without.
        try:
            if value in (CliTestOptionValue.Disabled.value, CliTestOptionValue.Schema.value):
                super().cb_test(ctx, param, value)
                return
            config = ctx.params.get("config")  # the SDK's parsed --config (files, or ENV)
            tap = cls(
                config=getattr(config, "config", None),
                parse_env_config=bool(getattr(config, "parse_env", False)),
            )
            client = tap.new_client(CONNECTION_TEST_RETRY, CONNECTION_TEST_TIMEOUT)
            check_connection(client, tap.settings.pipeline.max_jobs_ahead, tap.logger)
        except TapPeopleAIError as exc:
            cls._exit_with(exc)
        ctx.exit()

    # Input files ---------------------------------------------------------------------------
    # Each file is read by the tap before the SDK sees it, so that one it cannot use stops the
    # tap with one line naming the file and what to do, instead of the SDK's traceback.

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> Any:
        for path in value:
            if path != "ENV":
                cls._read_input(path, "config")
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        return read_input_files_with(super().get_singer_command(), cls.cb_input_file)

    @classmethod
    def cb_input_file(
        cls, ctx: click.Context, param: click.Parameter, value: str | None
    ) -> IO[str] | None:
        """The checked text of a --state or --catalog file, as the open file the SDK reads."""
        if value is None:
            return None
        return io.StringIO(cls._read_input(value, str(param.name)))

    @classmethod
    def _read_input(cls, path: str, kind: str) -> str:
        try:
            return read_input_file(path, kind)
        except InputFileError as exc:
            cls._exit_with(exc)

    @classmethod
    def _exit_with(cls, exc: TapPeopleAIError) -> NoReturn:
        # A problem the user can act on: the message is the whole story, no traceback.
        for line in str(exc).splitlines():
            cls.logger.error("%s", line)
        sys.exit(1)


if __name__ == "__main__":
    TapPeopleAI.cli()
