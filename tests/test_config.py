import pytest

from fashion_ai.config import DEFAULT_PORT, AppConfig, build_arg_parser, config_from_env, listen_address, load_config


def test_defaults_and_env():
    assert AppConfig().profile == "auto" and listen_address(AppConfig(), {}) == ("127.0.0.1", DEFAULT_PORT)
    config = config_from_env({"FASHION_AI_PROFILE": "Demo", "FASHION_AI_PORT": "8000", "FASHION_AI_LOAD_IN_4BIT": "no",
                              "FASHION_AI_MIRROR": "false", "UNRELATED": "x"})
    assert (config.profile, config.port, config.load_in_4bit, config.mirror) == ("demo", 8000, False, False)
    assert AppConfig().mirror is True  # the test-time flip is on unless turned off


@pytest.mark.parametrize(("env", "message"), [
    ({"FASHION_AI_PROFILE": "cloud"}, "profile must be one of"),
    ({"FASHION_AI_PORT": "eighty"}, "FASHION_AI_PORT"),
    ({"FASHION_AI_PORT": "70000"}, "port must be between 1 and 65535"),
    ({"FASHION_AI_EXTRACTOR": "gpt"}, "extractor must be one of auto, paligemma, clip"),
    ({"FASHION_AI_DECODING": "beam"}, "decoding must be one of constrained, free"),
    ({"FASHION_AI_LOAD_IN_4BIT": "maybe"}, "FASHION_AI_LOAD_IN_4BIT"),
    ({"FASHION_AI_CHROMA_URL": "localhost:8000"}, "http://host:port"),
    ({"FASHION_AI_MAX_REQUEST_MB": "0"}, "max_request_mb must be positive"),
])
def test_bad_settings_say_what_to_fix(env, message):
    with pytest.raises(ValueError, match=message):
        config_from_env(env)


def test_cli_flags_override_env():
    config = load_config(["--port", "9001", "--profile", "hub"], {"FASHION_AI_PORT": "8000"})
    assert (config.port, config.profile) == (9001, "hub")
    help_text = build_arg_parser(AppConfig()).format_help()
    assert "FASHION_AI_PROFILE" in help_text and "--chroma-url" in help_text
    # A setting spelled as in its env var works too.
    assert load_config(["--max_request_mb", "3", "--max-query-chars", "120"], {}).max_request_mb == 3
    # The MCP server is on unless switched off, by flag or env.
    assert AppConfig().mcp_server is True and load_config(["--mcp_server", "no"], {}).mcp_server is False
    assert config_from_env({"FASHION_AI_MCP_SERVER": "off"}).mcp_server is False
    assert AppConfig().max_request_mb * 2**20 > AppConfig().max_upload_mb * 2**20 * 4 / 3  # a pasted photo fits


@pytest.mark.parametrize("settings, environ, expected", [
    ({}, {}, ("127.0.0.1", 7860)),  # a laptop: loopback, Gradio's usual port
    ({}, {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7861"}, ("0.0.0.0", 7861)),  # the platform's word
    ({}, {"SPACE_ID": "me/fashion-ai"}, ("0.0.0.0", 7860)),  # a Space without Gradio's variables: still reachable
    ({"host": "127.0.0.1", "port": 9000}, {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "7861"},
     ("127.0.0.1", 9000)),  # the app's own settings, given explicitly, win
    ({"port": 9000}, {"GRADIO_SERVER_NAME": "0.0.0.0"}, ("0.0.0.0", 9000)),
])
def test_the_platforms_address_wins_unless_the_app_is_told_otherwise(settings, environ, expected):
    assert listen_address(AppConfig(**settings), environ) == expected


def test_a_malformed_gradio_port_is_a_plain_error():
    with pytest.raises(ValueError, match="GRADIO_SERVER_PORT must be a port number"):
        listen_address(AppConfig(), {"GRADIO_SERVER_PORT": "http"})


def test_flags_parse_as_train_space_does_with_the_environment_as_defaults():
    env = {"FASHION_AI_MIRROR": "off", "FASHION_AI_PORT": "8000", "FASHION_AI_RESULTS": "7"}
    assert (load_config([], env).mirror, load_config([], env).port) == (False, 8000)  # the environment's values
    config = load_config(["--mirror", "on", "--port", "9"], env)
    assert (config.mirror, config.port, config.results) == (True, 9, 7)  # flags on top; the rest from env
    assert load_config(["--mirror"], env).mirror is True and load_config(["--no_mirror"], {}).mirror is False
    assert load_config(["--load-in-4bit", "0"], {}).load_in_4bit is False  # yes/no as its env var takes it
    with pytest.raises(ValueError, match="not used by the HfArgumentParser.*--bogus"):
        load_config(["--bogus", "1"], {})
    with pytest.raises(ValueError, match="profile must be one of"):
        load_config(["--profile", "cloud"], {})
    with pytest.raises(SystemExit):
        load_config(["--mirror", "maybe"], {})
