from django.dispatch import Signal

# Sent after the transaction that made `model_version` the active one has committed.
# Receivers get sender=ModelVersion and model_version=<the newly active version>.
model_version_activated = Signal()
