"""python -m fashion_ai.schema --build-noun-forms: write schema/noun_forms.json, inflect's plural and singular of
every word of the shopper vocabulary (read at import instead of inflect, which is slow to import)."""

from __future__ import annotations

import json
import sys

from fashion_ai.schema.lexicon import NOUN_FORMS_FILE, build_noun_forms


def main(argv: list[str]) -> int:
    if argv != ["--build-noun-forms"]:
        sys.stderr.write("usage: python -m fashion_ai.schema --build-noun-forms\n")
        return 2
    NOUN_FORMS_FILE.write_text(json.dumps(build_noun_forms(), indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
