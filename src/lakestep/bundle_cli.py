"""``lakestep bundle run``: a bundle job's task graph, run here.

Mounted by :mod:`lakestep.cli` as ``app.add_typer(bundle_app, name="bundle")``; it shares
the global options (``--home``, ``--project``, ``--tracking-uri``, ``--spark-remote``) and
the error rendering of :mod:`lakestep.cli`, imported when the command runs.
"""

from __future__ import annotations

import typer

bundle_app = typer.Typer(help="Run the jobs of the asset bundle locally.", no_args_is_help=True)


@bundle_app.command("run")
def bundle_run(
    job_key: str = typer.Argument(..., help="Job key in resources/*.yml, e.g. training_orchestrator."),
    bundle_target: str = typer.Option("dev", "--bundle-target", help="Bundle target whose "
                                      "variables the tasks get (they run locally)."),
    parallel: int = typer.Option(2, "--parallel", min=1, help="Tasks run at once."),
    only: str = typer.Option(None, "--only", help="Comma-separated task keys to run, as in "
                             "`databricks bundle run --only`: +key also runs its upstream "
                             "tasks, key+ its downstream ones."),
) -> None:
    """Run a bundle job's task graph here, through the same entry points and parameters."""
    from lakestep.bundle import load_bundle, result_table, run_job
    from lakestep.bundle.stores import initialise_tracking_store
    from lakestep.cli import console, err_console, guarded, options
    from lakestep.config import bundle_file, load_settings

    def body() -> None:
        opts = options()
        settings = load_settings("local", home=opts.home, project_dir=opts.project)
        bundle_path = bundle_file(settings.project_dir)
        if bundle_path is None:
            from lakestep.errors import BundleError

            raise BundleError("no databricks.yml here", "run from a lakestep checkout or pass "
                              "--project DIR")
        env = {"LAKESTEP_HOME": str(settings.home)}
        if settings.project_dir:
            env["LAKESTEP_PROJECT"] = str(settings.project_dir)
        if opts.tracking_uri:
            env["LAKESTEP_TRACKING_URI"] = opts.tracking_uri
        if opts.spark_remote:
            env["LAKESTEP_SPARK_REMOTE"] = opts.spark_remote
        # Parallel tasks must not race to create a fresh SQLite MLflow store.
        initialise_tracking_store(opts.tracking_uri or settings.tracking_uri,
                                  settings.artifacts_dir)
        result = run_job(load_bundle(bundle_path.parent, bundle_target), job_key,
                         max_parallel=parallel, env=env,
                         only=only.split(",") if only else None,
                         workdir=settings.home / "bundle-runs" / job_key,
                         on_task_end=lambda task: err_console.print(
                             f"  {task.name}: {task.status} ({task.seconds:.1f}s)"))
        console.print(result_table(result))
        if not result.ok:
            raise typer.Exit(1)

    guarded(body)
