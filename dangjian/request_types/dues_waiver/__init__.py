"""党费减免 dues waiver (§三(二)3)."""
from . import model, workflow  # noqa: F401  (workflow attaches itself to the model)
