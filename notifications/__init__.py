"""Apprise channels and Jinja2 templates used by the tasks to notify units."""
