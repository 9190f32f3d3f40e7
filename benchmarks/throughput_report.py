"""The throughput table of each export size, and its targets as ratios of figures of one run."""

from __future__ import annotations

from benchmarks.report import MB, Check, mbps, rate, verdict
from benchmarks.throughput import SizeResult

TARGET_SDK = 7.0  # RECORD mode ÷ the SDK default path
TARGET_RAW = 0.40  # RECORD mode ÷ a raw orjson loop over the same files
TARGET_BATCH = 3.0  # BATCH mode ÷ RECORD mode
TARGET_RSS_MB = 200.0  # the tap's own peak RSS in RECORD mode


def report_sizes(results: list[SizeResult]) -> tuple[list[str], list[Check]]:
    """The table of each size measured, and the targets it checked."""
    lines: list[str] = []
    checks: list[Check] = []
    for r in results:
        rec, sdk, batch = r.record_run, r.sdk_run, r.batch_run
        sdk_scope = (
            f"first {sdk.records:,} of {r.records:,} records (stopped after {sdk.wall:.0f} s)"
            if sdk.stopped_early
            else "all records"
        )
        lines += [
            f"### Export of {r.export_bytes / MB:,.0f} MB "
            f"({r.records:,} records in {r.fragments} fragments; asked for {r.size_mb:g} MB)",
            "",
            "| path | records | wall s | start-up s | records/s | records/s after start-up "
            "| MB/s of output | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            f"| tap, RECORD mode (fast path) | {rec.records:,} | {rec.wall:.2f} "
            f"| {rec.startup:.2f} | {rate(rec.records, rec.wall)} "
            f"| {rate(rec.records, rec.working)} | {mbps(rec.out_bytes, rec.wall)} "
            f"| {rec.peak_rss / MB:.0f} |",
            f"| tap, SDK default path ({sdk_scope}) | {sdk.records:,} | {sdk.wall:.2f} "
            f"| {sdk.startup:.2f} | {rate(sdk.records, sdk.wall)} "
            f"| {rate(sdk.records, sdk.working)} | {mbps(sdk.out_bytes, sdk.wall)} "
            f"| {sdk.peak_rss / MB:.0f} |",
            f"| raw orjson loop over the fragment files | {r.raw_records:,} | {r.raw_seconds:.2f} "
            f"| - | {rate(r.raw_records, r.raw_seconds)} | {rate(r.raw_records, r.raw_seconds)} "
            f"| {mbps(r.raw_out_bytes, r.raw_seconds)} | - |",
            f"| `cat` of the fragment files to /dev/null | {r.raw_records:,} "
            f"| {r.cat_seconds:.2f} | - | {rate(r.raw_records, r.cat_seconds)} "
            f"| {rate(r.raw_records, r.cat_seconds)} | {mbps(r.export_bytes, r.cat_seconds)} "
            "(input) | - |",
            f"| HTTP download of the fragment files (requests, one connection, to disk) "
            f"| {r.raw_records:,} | {r.download_seconds:.2f} | - "
            f"| {rate(r.raw_records, r.download_seconds)} "
            f"| {rate(r.raw_records, r.download_seconds)} "
            f"| {mbps(r.export_bytes, r.download_seconds)} (input) | - |",
            f"| tap, BATCH mode (jsonl.gz files, {batch.out_bytes / 1000:,.0f} kB of Singer "
            f"output, {r.batch_bytes / MB:,.0f} MB of files) | {r.batch_records:,} "
            f"| {batch.wall:.2f} | {batch.startup:.2f} | {rate(r.batch_records, batch.wall)} "
            f"| {rate(r.batch_records, batch.working)} | - "
            f"| {batch.peak_rss / MB:.0f} (+ {batch.workers_peak_rss / MB:.0f} USS in its worker "
            f"processes; {batch.tree_rss / MB:.0f} at most at once, sampled) |",
        ]
        if batch.jobs_created and batch.first_finish:
            lines.append(
                '| tap, BATCH mode until it first logged "Sync finished" (what follows is an '
                'extra export that the run should not make: see "jobs created" below) '
                f"| {r.batch_records:,} | {batch.first_finish:.2f} | {batch.startup:.2f} "
                f"| {rate(r.batch_records, batch.first_finish)} "
                f"| {rate(r.batch_records, batch.first_finish - batch.startup)} | - | - |"
            )
        lines.append("")
        rec_rate = rec.records / rec.wall
        rec_steady = rec.records / rec.working
        sdk_rate = sdk.records / sdk.wall if sdk.records else 0.0
        sdk_steady = sdk.records / sdk.working if sdk.records else 0.0
        raw_rate = r.raw_records / r.raw_seconds
        batch_rate = r.batch_records / batch.wall
        batch_steady = r.batch_records / batch.working
        size = f"{r.export_bytes / MB:,.0f} MB"
        ratio_rows = [
            (
                f"RECORD ÷ SDK default path ({size})",
                rec_rate / sdk_rate if sdk_rate else 0.0,
                rec_steady / sdk_steady if sdk_steady else 0.0,
                f"≥ {TARGET_SDK:g}x",
                TARGET_SDK,
            ),
            (
                f"RECORD ÷ raw orjson loop ({size})",
                rec_rate / raw_rate,
                rec_steady / raw_rate,
                f"≥ {TARGET_RAW:.0%}",
                TARGET_RAW,
            ),
            (
                f"BATCH ÷ RECORD ({size})",
                batch_rate / rec_rate,
                batch_steady / rec_steady,
                f"≥ {TARGET_BATCH:g}x",
                TARGET_BATCH,
            ),
        ]
        lines += [
            "| target | ratio (wall) | ratio (after start-up) | target | result (wall) |",
            "|---|---:|---:|---:|---|",
        ]
        for name, wall_ratio, steady_ratio, target_text, target in ratio_rows:
            shown = (
                (f"{wall_ratio:.0%}", f"{steady_ratio:.0%}")
                if target < 1
                else (f"{wall_ratio:.1f}x", f"{steady_ratio:.1f}x")
            )
            ok = wall_ratio >= target
            lines.append(f"| {name} | {shown[0]} | {shown[1]} | {target_text} | {verdict(ok)} |")
            checks.append((name, ok))
        rss_ok = rec.peak_rss / MB <= TARGET_RSS_MB
        name = f"peak RSS of the tap, RECORD mode ({size})"
        lines.append(
            f"| {name} | {rec.peak_rss / MB:.0f} MB | - | ≤ {TARGET_RSS_MB:.0f} MB "
            f"| {verdict(rss_ok)} |"
        )
        checks.append((name, rss_ok))
        same = "identical" if r.sdk_equal else f"DIFFERENT: {r.sdk_note}"
        lines.append(
            f"| records of the SDK default path = fast path's ({r.sdk_compared:,} compared, "
            "every field and type, `time_extracted` and `sync_version` aside) "
            f"| {same} | - | identical "
            f"| {verdict(r.sdk_equal)} |"
        )
        checks.append((f"SDK default path records = fast path records ({size})", r.sdk_equal))
        created = (rec.jobs_created, sdk.jobs_created, batch.jobs_created)
        adopted = not any(created)
        lines.append(
            "| measured runs reuse the Completed job: export jobs created by RECORD / SDK default "
            "/ "
            f"BATCH | {' / '.join(map(str, created))} | - | 0 / 0 / 0 | {verdict(adopted)} |"
        )
        checks.append((f"measured runs create no export job ({size})", adopted))
        counts_ok = r.records == r.raw_records == r.batch_records
        lines.append(
            f"| records: RECORD = BATCH = fragment lines | {r.records:,} / {r.batch_records:,} / "
            f"{r.raw_records:,} | - | equal | {verdict(counts_ok)} |"
        )
        checks.append((f"RECORD = BATCH = fragment lines ({size})", counts_ok))
        lines += [
            "",
            f"First run (creates the job; the sandbox renders its files meanwhile, not counted "
            f"above): {r.first_run.wall:.1f} s.",
            "",
        ]
    return lines, checks
