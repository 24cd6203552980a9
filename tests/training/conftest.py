"""Training runs in these tests log to a trackio folder of their own, never to ~/.cache/huggingface/trackio.

trackio reads TRACKIO_DIR once, when it is first imported (by a run that logs to it): set before any test runs.
"""

import os
import tempfile

os.environ.setdefault("TRACKIO_DIR", tempfile.mkdtemp(prefix="trackio-tests-"))
