"""The labels of a field's choices, looked up in a mapping built once per field.

Django's `get_FOO_display()` rebuilds a dict of the field's choices on every call (15–30 µs
with a dozen choices, against 2 µs for a lookup), and the pages call it for every recipient,
request and event they list: "my data" some forty times, the staff queue once a cell.
`choice_displays_install` gives a model's fields with choices a `get_FOO_display()` that
says exactly what Django's says (the label in the active language, the value itself when it
is not among the choices), from a mapping made when the app registry is ready.
"""

from __future__ import annotations

from functools import partialmethod

from django.db.models import Model
from django.utils.encoding import force_str


def choice_displays_install(model: type[Model]) -> None:
    """Replace the `get_FOO_display()` Django made for each field of `model` with choices; a
    method the model defines itself is left alone."""
    for field in model._meta.concrete_fields:
        if not field.choices or field.model is not model:
            continue
        name = f"get_{field.name}_display"
        if not isinstance(model.__dict__.get(name), partialmethod):
            continue  # written by hand, or inherited: not Django's default here
        setattr(model, name, _display(field.attname, dict(field.flatchoices)))


def _display(attname: str, labels: dict):
    def display(self) -> str:
        value = getattr(self, attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value: never among the choices
            label = value
        return force_str(label, strings_only=True)

    return display
