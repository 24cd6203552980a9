import pytest

from fashion_ai.config import DEFAULT_PORT, AppConfig, build_arg_parser, config_from_env, load_config


def test_defaults_and_env():
    assert AppConfig().profile == "auto" and AppConfig().port == DEFAULT_PORT
    config = config_from_env({"FASHION_AI_PROFILE": "Demo", "FASHION_AI_PORT": "8000", "FASHION_AI_LOAD_IN_4BIT": "no",
                              "UNRELATED": "x"})
    assert (config.profile, config.port, config.load_in_4bit) == ("demo", 8000, False)


@pytest.mark.parametrize(("env", "message"), [
    ({"FASHION_AI_PROFILE": "cloud"}, "profile must be one of"),
    ({"FASHION_AI_PORT": "eighty"}, "FASHION_AI_PORT"),
    ({"FASHION_AI_PORT": "0"}, "port must be positive"),
    ({"FASHION_AI_LOAD_IN_4BIT": "maybe"}, "FASHION_AI_LOAD_IN_4BIT"),
    ({"FASHION_AI_CHROMA_URL": "localhost:8000"}, "http://host:port"),
])
def test_bad_settings_say_what_to_fix(env, message):
    with pytest.raises(ValueError, match=message):
        config_from_env(env)


def test_cli_flags_override_env():
    config = load_config(["--port", "9001", "--profile", "hub"], {"FASHION_AI_PORT": "8000"})
    assert (config.port, config.profile) == (9001, "hub")
    help_text = build_arg_parser(AppConfig()).format_help()
    assert "FASHION_AI_PROFILE" in help_text and "--chroma-url" in help_text
