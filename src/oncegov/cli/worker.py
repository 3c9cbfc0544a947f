"""``oncegov worker``: the Huey consumer that runs every domain's jobs."""

from __future__ import annotations

import logging

import typer

from oncegov.config import settings


def worker(
    workers: int = typer.Option(
        settings.jobs_workers, min=1, max=64, help="Worker threads running jobs at once."
    ),
    periodic: bool = typer.Option(
        True, help="Enqueue the periodic jobs (leave on in exactly one worker process)."
    ),
) -> None:
    """Run the background jobs (Huey): notifications, deadline scans, reminders, documents."""
    from oncegov import jobs, tasks
    from oncegov.cli.common import err_console, transaction
    from oncegov.integrations.tasks import drain_outbox

    if settings.jobs_backend in ("memory", "immediate"):
        err_console.print(
            f"[red]ONCEGOV_JOBS_BACKEND={settings.jobs_backend} has no queue another process "
            "can read: use sqlite or redis[/red]",
            highlight=False,
        )
        raise typer.Exit(1)
    with transaction():  # the schema is the code's, or one line and exit 1
        pass
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    names = ", ".join(module.__name__ for module in tasks.TASK_MODULES)
    typer.echo(f"worker: {workers} threads, {settings.jobs_backend} queue, jobs of {names}")
    # What a worker killed earlier left in the outbox goes out now, not at the next minute.
    drain_outbox()
    # SIGTERM (systemd, ``make run``) stops gracefully: the jobs in hand finish first; SIGINT
    # stops at once. Either way nothing is lost (docs/architecture.md, "Background jobs").
    consumer = jobs.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=periodic, graceful_signal="TERM"
    )
    consumer.run()


if __name__ == "__main__":  # ``python -m oncegov.cli.worker``: the command alone, quick to start
    typer.run(worker)
