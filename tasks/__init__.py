"""Prefect tasks: small typed steps (resolve audience, render, send, record, summarize).

Tasks call into the `thidua` core and into `notifications/`; retries are declared here.
"""
