"""The French catalogue: ``{English template: French template}`` with the same named fields.

Keys are the exact English messages given to :func:`helpers.i18n.tr` (or flagged with
:func:`helpers.i18n.mark`), exercise titles and hints; ``tests/test_i18n.py`` lists any message
missing here and checks that each French template uses the same fields as its English key.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
}
