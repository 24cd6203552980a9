"""Which models serve: decided explicitly, once per resolver, thread-safely, and again after reset()."""

import time

import pytest

from fashion_ai.config import DEFAULT_CATALOG_DIR, DEFAULT_HUB_CATALOG_LIMIT, DEFAULT_HUB_CATALOG_SOURCE, AppConfig
from fashion_ai.profiles import ProfileResolver, catalog_folder, catalog_source, hub_model_available
from tests.concurrency import call_at_once


class Probe:
    """A Hub that answers slowly for the ids it has, and counts the questions."""

    def __init__(self, available: set[str]):
        self.ids, self.calls = available, []

    def __call__(self, model_id: str, filename: str) -> bool:
        self.calls.append(model_id)
        time.sleep(0.05)
        return model_id in self.ids


CLIP, MIX = [[("patrickjohncyh/fashion-clip", "config.json")]], [[("google/paligemma2-3b-mix-224", "config.json")]]


@pytest.mark.parametrize("profile", ["demo", "hub"])
def test_an_explicit_profile_never_asks_the_hub(profile):
    probe = Probe(available=set() if profile == "hub" else {"patrickjohncyh/fashion-clip"})  # the opposite: no matter
    assert ProfileResolver(AppConfig(profile=profile), probe).hub_allowed(CLIP) == (profile == "hub")
    assert probe.calls == []


def test_auto_decides_per_model_once_even_under_concurrent_requests_and_again_after_reset():
    probe = Probe(available={"patrickjohncyh/fashion-clip"})  # FashionCLIP is public; the gated mix did not answer
    resolver = ProfileResolver(AppConfig(profile="auto"), probe)
    assert call_at_once(lambda: resolver.hub_allowed(CLIP), 8) == [True] * 8
    assert resolver.hub_allowed(MIX) is False  # each model on its own: search is not held back by attributes
    assert probe.calls == ["patrickjohncyh/fashion-clip", "google/paligemma2-3b-mix-224"]
    # Any alternative whose files all answer will do (base + adapter, or the mix).
    assert resolver.hub_allowed([[("google/paligemma2-3b-pt-224", "config.json")], *CLIP]) is True
    probe.ids = set()  # the Hub went away: decided already, not asked again
    assert resolver.hub_allowed(CLIP) is True and probe.calls.count("patrickjohncyh/fashion-clip") == 1
    resolver.reset()
    assert resolver.hub_allowed(CLIP) is False and probe.calls.count("patrickjohncyh/fashion-clip") == 2


def test_what_counts_as_available(tmp_path, monkeypatch):
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    (tmp_path / "clip").mkdir()
    (tmp_path / "clip" / "config.json").write_text("{}")
    assert hub_model_available(str(tmp_path / "clip")) is True  # a local folder stands in for a hub id
    assert hub_model_available(str(tmp_path / "clip"), "adapter_config.json") is False
    assert hub_model_available("nobody/not-cached-clip") is False  # offline and not cached
    assert hub_model_available("not a valid id!") is False  # a typo is "not available", not a crash


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
