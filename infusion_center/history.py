"""django-simple-history's ``Model.history`` managers, built once per model instead of on every access.

``HistoryDescriptor.__get__`` makes a new manager class (``Manager.from_queryset``, which inspects
every queryset method) each time ``instance.history`` or ``Model.history`` is read, and every history
row written reads it once: for a booking that was a tenth of writing the appointment. The class depends
only on the descriptor, so it is built on the first read and kept; each read still gets its own manager
bound to its instance, as before.
"""

from __future__ import annotations

from simple_history.manager import HistoryDescriptor


class BuiltOnceHistoryDescriptor(HistoryDescriptor):
    def __get__(self, instance, owner):
        manager_class = self.__dict__.get("built_manager_class")
        if manager_class is None:
            manager_class = self.built_manager_class = self.manager_class.from_queryset(self.queryset_class)
        return manager_class(self.model, instance)


def build_history_managers_once() -> None:
    """Give every model's history descriptor the built-once manager class (called once the apps are ready)."""
    from django.apps import apps

    for model in apps.get_models():
        name = getattr(model._meta, "simple_history_manager_attribute", None)
        descriptor = model.__dict__.get(name) if name else None
        if type(descriptor) is HistoryDescriptor:
            descriptor.__class__ = BuiltOnceHistoryDescriptor
