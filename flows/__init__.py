"""Prefect flows: one per action kind, orchestrating the tasks in `tasks/`.

Flows only orchestrate; every decision lives in the `thidua` core (which never
imports Prefect) and every side effect in a task.
"""
