"""Halles: wires blueprints and middleware. Nothing else lives here."""

from chalice import Chalice

from chalicelib.handlers import register_all

# Powertools' Logger owns the "halles" logger; Chalice's own handler on it would print every line twice.
app = Chalice(app_name="halles", configure_logs=False)
register_all(app)
