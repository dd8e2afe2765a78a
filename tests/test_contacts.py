"""Contact URLs: placeholders, privacy-safe display, Apprise checks and their cache."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from thidua.config import Settings, set_settings
from thidua.errors import ThiduaError
from thidua.registry import contacts
from thidua.registry.channel_rules import PGP_REFUSED

SMTP = "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@mail.caobang.gov.vn?to=songoaivu@caobang.gov.vn"
SECRET = "hunter2-Secret"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path):
    """Keep the check cache inside the test's own directory."""
    set_settings(Settings(data_dir=tmp_path / "data"))
    yield
    set_settings(None)


# --- placeholders --------------------------------------------------------------


def test_env_vars_in_order_without_repeats() -> None:
    url = "json://${HOST}/${PATH_PART}?token=${TOKEN}&x=${HOST}"
    assert contacts.env_vars(url) == ["HOST", "PATH_PART", "TOKEN"]
    assert contacts.env_vars("outbox://sngv") == []


def test_missing_env_lists_unset_variables() -> None:
    assert contacts.missing_env(SMTP, {"SMTP_USER": "a"}) == ["SMTP_PASSWORD"]
    assert contacts.missing_env(SMTP, {"SMTP_USER": "a", "SMTP_PASSWORD": "b"}) == []


def test_expand_encodes_userinfo_and_query_values_only() -> None:
    env = {"SMTP_USER": "bot@caobang.gov.vn", "SMTP_PASSWORD": "p@ss/w&rd"}
    assert contacts.expand(SMTP, env) == (
        "mailtos://bot%40caobang.gov.vn:p%40ss%2Fw%26rd@mail.caobang.gov.vn"
        "?to=songoaivu@caobang.gov.vn"
    )
    # a variable in the path may hold several segments, e.g. a webhook "ID/TOKEN"
    assert contacts.expand("discord://${HOOK}", {"HOOK": "123/abc"}) == "discord://123/abc"


def test_expand_names_missing_variable_without_showing_values() -> None:
    with pytest.raises(ThiduaError) as err:
        contacts.expand(SMTP, {"SMTP_USER": SECRET})
    message = str(err.value)
    assert "${SMTP_PASSWORD}" in message
    assert "biến môi trường" in message
    assert SECRET not in message


def test_expand_defaults_to_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THIDUA_TEST_MAILBOX", "sngv")
    assert contacts.expand("json://x/${THIDUA_TEST_MAILBOX}") == "json://x/sngv"


# --- secrets and display -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "found"),
    [
        (SMTP, []),
        ("outbox://sngv", []),
        ("mailtos://user:hunter2@mail.x.vn", ["mật khẩu trong địa chỉ"]),
        ("mailtos://user:pre${X}@mail.x.vn", ["mật khẩu trong địa chỉ"]),
        ("mailtos://user@mail.x.vn", []),
        ("json://host/?token=abc", ["tham số “token”"]),
        ("json://host/?Password=abc&to=x", ["tham số “Password”"]),
        ("json://host/?apikey=${API_KEY}", []),
        ("json://host/?key=&pass=p", ["tham số “pass”"]),
        # Apprise's "-" (GET parameter), "+" (header) and ":" (payload) prefixes
        ("json://host/?-token=abc", ["tham số “-token”"]),
        ("form://host/?:password=abc&-x=1", ["tham số “:password”"]),
        ("xml://host/?+Authorization=Bearer%20abc", ["tham số “+Authorization”"]),
        (
            "json://host/?+X-Api-Key=abc&+X-Auth-Token=def",
            ["tham số “+X-Api-Key”", "tham số “+X-Auth-Token”"],
        ),
        ("json://host/?-token=${HOOK_TOKEN}&+Authorization=${AUTH}", []),
        ("json://host/?-chat=123&:note=ok", []),
    ],
)
def test_literal_secrets(url: str, found: list[str]) -> None:
    assert contacts.literal_secrets(url) == found


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SMTP, SMTP),
        ("outbox://sngv", "outbox://sngv"),
        (
            "mailtos://${U}:hunter2-Secret@mail.x.vn?to=a@b.vn&pass=hunter2-Secret",
            "mailtos://${U}:****@mail.x.vn?to=a@b.vn&pass=****",
        ),
        ("json://${HOST}/?token=hunter2-Secret", "json://${HOST}/?token=****"),
        (
            "json://${HOST}/?-token=hunter2-Secret&+Authorization=hunter2-Secret&:apikey=x&-a=1",
            "json://${HOST}/?-token=****&+Authorization=****&:apikey=****&-a=1",
        ),
    ],
)
def test_display_of_templates_keeps_placeholders_and_masks_literals(url: str, shown: str) -> None:
    assert contacts.display(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        f"mailtos://bot:{SECRET}@mail.caobang.gov.vn?to=a@caobang.gov.vn",
        f"tgram://123456789:{SECRET}/12345",
        f"json://host.vn/hook?token={SECRET}",
        f"json://host.vn/hook?-token={SECRET}",
        f"jsons://host.vn/hook?+X-Api-Key={SECRET}&:secret={SECRET}",
        f"mailtos://bot:{SECRET}@@bad host",
    ],
)
def test_display_of_concrete_urls_never_shows_secrets(url: str) -> None:
    shown = contacts.display(url)
    assert SECRET not in shown
    assert shown.split("://")[0] == url.split("://")[0]


def test_display_of_concrete_url_drops_apprise_defaults() -> None:
    shown = contacts.display(f"mailtos://bot:{SECRET}@mail.caobang.gov.vn?to=a@caobang.gov.vn")
    assert shown.startswith("mailtos://bot:****@mail.caobang.gov.vn")
    assert "retry=" not in shown


# --- local checks --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("outbox://sngv", None),
        ("outbox://so-ngoai.vu_2", None),
        (SMTP, None),
        ("outbox://SNGV", "hộp thư outbox"),
        ("outbox://sngv/extra", "hộp thư outbox"),
        ("outbox://", "hộp thư outbox"),
        ("OUTBOX://sngv", "viết thường"),
        ("sngv@caobang.gov.vn", "lược-đồ://"),
        ("", "lược-đồ://"),
        ("mailto://a b@x.vn", "khoảng trắng"),
        ("mailtos://$SMTP_USER@x.vn", "${TEN_BIEN}"),
        ("mailtos://${SMTP-USER}@x.vn", "${TEN_BIEN}"),
    ],
)
def test_check_local(url: str, error: str | None) -> None:
    result = contacts.check_local(url)
    if error is None:
        assert result is None
    else:
        assert result is not None and error in result


# --- query keys the webhook plugins drop --------------------------------------


@pytest.mark.parametrize(
    ("url", "keys"),
    [
        ("json://hook.vn/path?token=${HOOK_TOKEN}", ["token"]),
        ("jsons://hook.vn/path?chat=1&token=${T}&chat=2", ["chat", "token"]),
        ("xml://hook.vn/?apikey=${K}", ["apikey"]),
        ("forms://hook.vn/?Channel=x", ["Channel"]),
    ],
)
def test_dropped_params_are_named_with_the_fix(url: str, keys: list[str]) -> None:
    error = contacts.dropped_params(url)
    assert error is not None
    for key in keys:
        assert f"“{key}”" in error and f"“-{key}=…”" in error
    assert error.count("“-") == len(keys) + 1  # each fix, plus the "-" prefix explained
    assert "${" not in error  # the value (even a placeholder) is not repeated
    scheme = url.split("://")[0]
    assert f"“{scheme}://”" in error
    secret = any(contacts.is_secret_key(k) for k in keys)
    assert ("bí mật sẽ không được gửi đi" in error) == secret


@pytest.mark.parametrize(
    "url",
    [
        "json://hook.vn/path?-token=${HOOK_TOKEN}",
        "json://hook.vn/path?+X-Token=${T}&:field=v",
        "json://hook.vn/path?method=GET&format=markdown&verify=no&Method=PUT",
        "form://hook.vn/?attach-as=file&rto=5&cto=3&overflow=split",
        "json://${USER}:${PASS}@hook.vn/?user=${USER}&pass=${PASS}",
        "json://hook.vn/path",
        "mailtos://${U}:${P}@mail.vn?to=a@b.vn&token=x",  # other plugins read their own keys
        "outbox://sngv",
    ],
)
def test_forwarded_or_understood_params_pass(url: str) -> None:
    assert contacts.dropped_params(url) is None


def _plugin(url: str):
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    assert plugin is not None, url
    return plugin


@pytest.mark.parametrize("scheme", ["json", "xml", "form"])
def test_dropped_params_agree_with_apprise(scheme: str) -> None:
    """What we flag, Apprise really loses; what we let through, it reads or forwards."""
    from apprise.plugins.custom_form import NotifyForm
    from apprise.plugins.custom_json import NotifyJSON
    from apprise.plugins.custom_xml import NotifyXML

    cls = {"json": NotifyJSON, "xml": NotifyXML, "form": NotifyForm}[scheme]
    # every option the plugin declares is understood, so never flagged
    assert set(cls.template_args) <= contacts.WEBHOOK_OPTIONS
    assert {scheme, scheme + "s"} <= contacts.WEBHOOK_SCHEMES

    lost = _plugin(f"{scheme}://hook.vn/path?token=abc")
    assert "abc" not in str(lost.url(privacy=False))
    assert not lost.params and not lost.headers
    kept = _plugin(f"{scheme}://hook.vn/path?-token=abc&+X-Key=h&:field=v")
    assert kept.params == {"token": "abc"} and kept.headers == {"X-Key": "h"}
    assert contacts.dropped_params(f"{scheme}://hook.vn/path?token=abc") is not None
    assert contacts.dropped_params(f"{scheme}://hook.vn/path?-token=abc&+X-Key=h") is None


def test_check_contacts_reports_dropped_params_without_apprise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(url: str) -> None:
        raise AssertionError("a dropped parameter is found on the text alone")

    monkeypatch.setattr(contacts, "_apprise_check", boom)
    url = "json://hook.vn/path?token=${HOOK_TOKEN}"
    result = contacts.check_contacts([url], cache_dir=tmp_path)
    assert "“-token=…”" in (result[url] or "")
    assert not (tmp_path / contacts.CACHE_FILE).exists()  # errors are never cached


def test_registry_names_the_unit_url_and_key_of_a_dropped_secret() -> None:
    from thidua.errors import RegistryError
    from thidua.registry import parse_registry

    data = {
        "units": [
            {
                "code": "SNV",
                "name": "Sở Nội vụ",
                "kind": "so_nganh",
                "contacts": ["outbox://snv", "json://hook.vn/api?token=${HOOK_TOKEN}"],
            }
        ]
    }
    with pytest.raises(RegistryError) as err:
        parse_registry(data)
    [problem] = err.value.errors
    assert problem.path == "units[SNV].contacts[1]"
    assert problem.value == "json://hook.vn/api?token=${HOOK_TOKEN}"
    text = err.value.render()
    assert "units[SNV].contacts[1]" in text and "“token”" in text and "“-token=…”" in text

    data["units"][0]["contacts"][1] = "json://hook.vn/api?-token=${HOOK_TOKEN}"
    assert parse_registry(data).unit("SNV").contacts[1].endswith("-token=${HOOK_TOKEN}")


def test_registry_refuses_a_literal_prefixed_secret() -> None:
    from thidua.errors import RegistryError
    from thidua.registry import parse_registry

    data = {
        "units": [
            {
                "code": "SNV",
                "name": "Sở Nội vụ",
                "kind": "so_nganh",
                "contacts": [f"json://hook.vn/api?-token={SECRET}"],
            }
        ]
    }
    with pytest.raises(RegistryError) as err:
        parse_registry(data)
    [problem] = err.value.errors
    assert "tham số “-token”" in problem.message
    assert SECRET not in err.value.render()
    assert problem.value == "json://hook.vn/api?-token=****"


# --- Apprise checks and cache -------------------------------------------------


def test_check_contacts_with_apprise(tmp_path: Path) -> None:
    urls = [
        "outbox://sngv",
        SMTP,
        "tgram://${TELEGRAM_BOT_TOKEN}/${TELEGRAM_CHAT_ID}",
        "discord://${DISCORD_WEBHOOK}",
        "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@${SMTP_HOST}?to=${EMAIL_TO}",
        "zalo://sngv",
        "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@host?to=not-an-email",
        "outbox://BAD",
    ]
    result = contacts.check_contacts(urls, cache_dir=tmp_path)
    assert list(result) == urls
    assert result["outbox://sngv"] is None
    assert result[SMTP] is None
    assert result["tgram://${TELEGRAM_BOT_TOKEN}/${TELEGRAM_CHAT_ID}"] is None
    assert result["discord://${DISCORD_WEBHOOK}"] is None
    assert result["mailtos://${SMTP_USER}:${SMTP_PASSWORD}@${SMTP_HOST}?to=${EMAIL_TO}"] is None
    assert "không hỗ trợ lược đồ “zalo://”" in (result["zalo://sngv"] or "")
    assert "Apprise không hiểu" in (result[urls[6]] or "")
    assert "hộp thư outbox" in (result["outbox://BAD"] or "")


def test_check_contacts_caches_only_successes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def fake_check(url: str) -> str | None:
        calls.append(url)
        return None if "good" in url else "Apprise không hiểu địa chỉ này"

    monkeypatch.setattr(contacts, "_apprise_check", fake_check)
    urls = ["json://good.vn/${X}", "json://bad.vn/${X}", "outbox://sngv"]
    first = contacts.check_contacts(urls, cache_dir=tmp_path)
    second = contacts.check_contacts(urls, cache_dir=tmp_path)
    assert first == second
    assert calls == ["json://good.vn/${X}", "json://bad.vn/${X}", "json://bad.vn/${X}"]

    stored = json.loads((tmp_path / contacts.CACHE_FILE).read_text(encoding="utf-8"))
    assert stored["apprise"] == contacts.apprise_version()
    assert len(stored["ok"]) == 1
    assert "good.vn" not in json.dumps(stored)  # keys are hashes, not URLs


def test_cache_is_keyed_by_apprise_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(contacts, "_apprise_check", lambda url: calls.append(url))
    contacts.check_contacts(["json://a.vn/x"], cache_dir=tmp_path)
    monkeypatch.setattr(contacts, "apprise_version", lambda: "99.0")
    contacts.check_contacts(["json://a.vn/x"], cache_dir=tmp_path)
    assert len(calls) == 2


def test_cache_uses_settings_and_survives_garbage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts, "_apprise_check", lambda url: None)
    cache = tmp_path / "data" / "cache" / contacts.CACHE_FILE
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json", encoding="utf-8")
    assert contacts.check_contacts(["json://a.vn/x"]) == {"json://a.vn/x": None}
    assert json.loads(cache.read_text(encoding="utf-8"))["ok"]


def test_cache_write_failure_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contacts, "_apprise_check", lambda url: None)
    # a file where the cache directory should be: unwritable even for root
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    result = contacts.check_contacts(["json://a.vn/x"], cache_dir=blocker / "cache")
    assert result == {"json://a.vn/x": None}


def test_apprise_version_is_read_without_import() -> None:
    import apprise

    assert contacts.apprise_version() == apprise.__version__


def test_outbox_only_never_needs_apprise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(url: str) -> None:
        raise AssertionError("Apprise must not be asked about outbox URLs")

    monkeypatch.setattr(contacts, "_apprise_check", boom)
    monkeypatch.setattr(contacts, "apprise_version", boom)
    assert contacts.check_contacts(["outbox://a", "outbox://b"], cache_dir=tmp_path) == {
        "outbox://a": None,
        "outbox://b": None,
    }


@pytest.mark.slow
def test_cached_checks_do_not_import_apprise(tmp_path: Path) -> None:
    registry = tmp_path / "units.yaml"
    registry.write_text(
        textwrap.dedent(
            f"""\
            units:
              - code: SNGV
                name: Sở Ngoại vụ
                kind: so_nganh
                contacts:
                  - outbox://sngv
                  - {SMTP}
                  - tgram://${{TELEGRAM_BOT_TOKEN}}/${{TELEGRAM_CHAT_ID}}
            """
        ),
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"  # what the autouse fixture set for this process
    from thidua.registry import load_registry

    load_registry(registry)  # warms the cache; Apprise may be loaded in this process
    assert (data_dir / "cache" / contacts.CACHE_FILE).is_file()

    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from thidua.config import Settings, set_settings
        from thidua.registry import load_registry
        set_settings(Settings(data_dir=Path({str(data_dir)!r})))
        registry = load_registry({str(registry)!r})
        assert len(registry.unit("SNGV").contacts) == 3
        assert "apprise" not in sys.modules, "apprise was imported"
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --- Prefect Secret blocks ------------------------------------------------------------

BLOCK_URL = "mailtos://thidua:${secret:smtp-password}@mail.caobang.gov.vn?to=${SO_MAIL}"


def test_secret_block_placeholders_are_not_environment_variables() -> None:
    assert contacts.secret_blocks(BLOCK_URL) == ["smtp-password"]
    assert contacts.missing_env(BLOCK_URL, {"SO_MAIL": "a@b.vn"}) == []
    assert contacts.literal_secrets(BLOCK_URL) == []
    assert "${secret:smtp-password}" in contacts.display(BLOCK_URL)


def test_registry_validation_accepts_secret_blocks(tmp_path: Path) -> None:
    urls = [
        BLOCK_URL,
        "json://hook.example.vn/h?-token=${secret:hook-token}",
        "tgram://${secret:bot}/1",
    ]
    assert contacts.check_contacts(urls, cache_dir=tmp_path) == dict.fromkeys(urls)


def test_secret_blocks_are_read_through_the_callers_resolver() -> None:
    read: list[str] = []

    def resolver(name: str) -> str:
        read.append(name)
        return "p@ss/word"

    url = contacts.expand(BLOCK_URL, {"SO_MAIL": "a@b.vn"}, secrets=resolver)
    assert read == ["smtp-password"]
    assert url == "mailtos://thidua:p%40ss%2Fword@mail.caobang.gov.vn?to=a@b.vn"


def test_a_secret_block_without_a_resolver_is_a_clear_error() -> None:
    with pytest.raises(ThiduaError, match="Secret block"):
        contacts.expand(BLOCK_URL, {"SO_MAIL": "a@b.vn"})


@pytest.mark.parametrize("query", ["pgp=encrypt", "pgp=sign", "wkd=yes"])
def test_an_email_url_asking_for_pgp_is_refused_at_validation_not_only_when_sending(
    tmp_path: Path, query: str
) -> None:
    """`thidua validate` uses Apprise's own plugin; the product's email channel refuses
    PGP when it sends: one rule (`refused_feature`) must answer for both."""
    import thidua.notifications.channels as channels

    channels.load(SMTP)  # the product's email channel registered in Apprise, as in a worker
    url = f"mailtos://${{SMTP_USER}}:${{SMTP_PASSWORD}}@smtp.example.vn?to=xa@example.vn&{query}"
    result = contacts.check_contacts([url, SMTP], cache_dir=tmp_path)
    assert result[url] == PGP_REFUSED
    assert result[SMTP] is None
    again = contacts.check_contacts([url], cache_dir=tmp_path)  # a refusal is never cached
    assert again[url] == PGP_REFUSED


def test_an_email_url_saying_no_to_pgp_passes(tmp_path: Path) -> None:
    url = "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@smtp.example.vn?to=xa@example.vn&pgp=no"
    assert contacts.check_contacts([url], cache_dir=tmp_path)[url] is None


def test_pgp_is_refused_by_apprise_alone_too(tmp_path: Path) -> None:
    """`thidua validate` never loads the product's channels: Apprise's own plugin is asked."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from thidua.registry import contacts
        url = "mailtos://u:p@smtp.example.vn?to=xa@example.vn&pgp=encrypt"
        print(contacts.check_contacts([url], cache_dir=Path({str(tmp_path)!r}))[url])
        assert "thidua.notifications.channels" not in sys.modules
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == PGP_REFUSED
