"""Halles: wires blueprints and middleware. Nothing else lives here."""

from chalice import Chalice

from chalicelib.handlers import register_all

app = Chalice(app_name="halles")
register_all(app)
