"""Which models serve: decided explicitly, once per resolver, thread-safely, and again after reset()."""

import time

import pytest

from fashion_ai.config import DEFAULT_CATALOG_DIR, DEFAULT_HUB_CATALOG_LIMIT, DEFAULT_HUB_CATALOG_SOURCE, AppConfig
from fashion_ai.profiles import ProfileResolver, catalog_folder, catalog_source, hub_models_available
from tests.concurrency import call_at_once


class Probe:
    """A Hub probe that answers slowly and counts how often it was asked."""

    def __init__(self, answer: bool):
        self.answer, self.calls = answer, 0

    def __call__(self, config) -> bool:
        self.calls += 1
        time.sleep(0.05)
        return self.answer


@pytest.mark.parametrize("profile", ["demo", "hub"])
def test_an_explicit_profile_never_asks_the_hub(profile):
    probe = Probe(answer=profile != "hub")  # the opposite of what is asked: it must not matter
    assert ProfileResolver(AppConfig(profile=profile), probe).resolve() == profile
    assert probe.calls == 0


def test_auto_asks_once_even_when_many_requests_come_at_once_and_again_after_reset():
    probe = Probe(answer=True)
    resolver = ProfileResolver(AppConfig(profile="auto"), probe)
    answers = call_at_once(resolver.resolve, 8)
    assert answers == ["hub"] * 8 and probe.calls == 1
    probe.answer = False  # the Hub went away
    assert resolver.resolve() == "hub" and probe.calls == 1  # decided: not asked again
    resolver.reset()
    assert resolver.resolve() == "demo" and probe.calls == 2


def test_auto_is_demo_offline_when_nothing_is_cached(monkeypatch):
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    config = AppConfig(profile="auto", clip_id="nobody/not-cached-clip")
    assert hub_models_available(config) is False
    assert ProfileResolver(config).resolve() == "demo"


def test_each_profile_serves_its_catalog(tmp_path):
    hub = AppConfig(profile="hub", data_dir=str(tmp_path))
    assert catalog_source(hub, "hub") == (DEFAULT_HUB_CATALOG_SOURCE, DEFAULT_HUB_CATALOG_LIMIT)
    assert catalog_folder(hub, "hub").parent == tmp_path / "catalogs"
    assert catalog_source(hub, "demo") == ("", 0)
    assert catalog_folder(hub, "demo") == tmp_path.__class__(DEFAULT_CATALOG_DIR)
    assert catalog_source(AppConfig(profile="hub", catalog_dir="/shop/catalog"), "hub") == ("", 0)  # own folder wins
    own = AppConfig(profile="hub", catalog_source="products:/shop/items.csv", catalog_limit=7, data_dir=str(tmp_path))
    assert catalog_source(own, "demo") == ("products:/shop/items.csv", 7)
    assert catalog_folder(own, "demo") == tmp_path / "catalogs" / "shop-items-csv-7"
