"""config.toml: loading, path resolution, overrides, and one clear line for every bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lta_tui.config import (
    CONFIG_ENV,
    DATABASE_ENV,
    PROJECT_ROOT,
    ConfigError,
    Role,
    find_config,
    load_config,
)
from tests.conftest import DATA_DIR, write_config

VALID = f"""\
data_dir = "{DATA_DIR}"

[database]
url = "sqlite:///db/lta.db"

[user]
name = "Ana Focal"
agency = "UNICEF"
role = "working_group"

[lta]
reference = "GP500454"
valid_from = 2021-06-01
valid_to = 2027-05-31
ceiling_usd = 500000000

[rules]
min_valid_offers = 3
abnormally_low_pct = 25
"""


def _write(folder: Path, text: str, name: str = "config.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- a good file -----------------------------------------------------------------------------


def test_valid_config_loads_every_section(tmp_path: Path):
    cfg = load_config(_write(tmp_path, VALID))
    assert cfg.source == (tmp_path / "config.toml").resolve()
    assert (cfg.user.name, cfg.user.agency, cfg.user.role) == (
        "Ana Focal",
        "UNICEF",
        Role.working_group,
    )
    assert cfg.lta.ceiling_usd == 500_000_000
    assert cfg.rules.min_valid_offers == 3
    assert cfg.rules.abnormally_low_pct == 25
    assert cfg.rules.ceiling_warn_pct == 80  # a default where the file is silent
    assert cfg.data_dir == DATA_DIR


def test_the_shipped_config_toml_is_valid():
    cfg = load_config(PROJECT_ROOT / "config.toml")
    assert cfg.database.url == f"sqlite:///{PROJECT_ROOT / 'data' / 'lta-tui.db'}"
    assert cfg.data_dir == PROJECT_ROOT / "data"


def test_relative_paths_are_read_against_the_config_folder(tmp_path: Path, monkeypatch):
    folder = tmp_path / "etc"
    folder.mkdir()
    _write(folder, VALID.replace(f'data_dir = "{DATA_DIR}"', 'data_dir = "ref"'))
    (folder / "ref").mkdir()
    (folder / "ref" / "organizations.csv").write_text(
        "code,name,founding_party\nUNICEF,United Nations Children's Fund,true\n", encoding="utf-8"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config(folder / "config.toml")
    assert cfg.database.url == f"sqlite:///{folder / 'db' / 'lta.db'}"
    assert cfg.data_dir == folder / "ref"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////var/lib/lta/lta.db",
        "postgresql+psycopg2://lta@127.0.0.1:5432/lta",
    ],
)
def test_absolute_and_server_urls_are_left_alone(tmp_path: Path, url: str):
    cfg = load_config(_write(tmp_path, VALID.replace("sqlite:///db/lta.db", url)))
    assert cfg.database.url == url


# --- overrides -------------------------------------------------------------------------------


def test_database_url_precedence_flag_then_environment_then_file(tmp_path: Path, monkeypatch):
    path = _write(tmp_path, VALID)
    assert load_config(path).database.url == f"sqlite:///{tmp_path / 'db' / 'lta.db'}"
    monkeypatch.setenv(DATABASE_ENV, "sqlite:////srv/from-env.db")
    assert load_config(path).database.url == "sqlite:////srv/from-env.db"
    assert load_config(path, "sqlite:////srv/from-flag.db").database.url == (
        "sqlite:////srv/from-flag.db"
    )


def test_a_relative_override_is_read_against_the_working_folder(tmp_path: Path, monkeypatch):
    path = _write(_mkdir(tmp_path / "etc"), VALID)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert load_config(path, "sqlite:///mine.db").database.url == f"sqlite:///{work / 'mine.db'}"
    monkeypatch.setenv(DATABASE_ENV, "sqlite:///env.db")
    assert load_config(path).database.url == f"sqlite:///{work / 'env.db'}"


def test_config_file_precedence(tmp_path: Path, monkeypatch):
    """--config, then $LTA_TUI_CONFIG, then ./config.toml, then the project's config.toml."""
    flag = write_config(_mkdir(tmp_path / "flag"))
    env = write_config(_mkdir(tmp_path / "env"))
    cwd = write_config(_mkdir(tmp_path / "cwd"))
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv(CONFIG_ENV, str(env))
    assert find_config(flag) == flag
    assert load_config(flag).source == flag
    assert load_config().source == env
    monkeypatch.delenv(CONFIG_ENV)
    assert load_config().source == cwd
    monkeypatch.chdir(tmp_path)  # no config.toml here
    assert find_config() == PROJECT_ROOT / "config.toml"


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


# --- bad files: one ConfigError naming the file, the key and the problem ----------------------

BAD = {
    # case: (text to append or replace, key named, problem named)
    "toml syntax": ("[rules\nmin_valid_offers = 2\n", "line", "toml syntax error"),
    "unknown top-level key": ("", "colour", "unknown key"),
    "unknown key in a section": ("[rules]\nfoo = 1\n", "rules.foo", "unknown key"),
    "wrong type: string for int": (
        '[rules]\nmin_valid_offers = "two"\n',
        "rules.min_valid_offers",
        "valid integer",
    ),
    "wrong type: bool for int": (
        "[rules]\nmin_valid_offers = true\n",
        "rules.min_valid_offers",
        "valid integer",
    ),
    "wrong type: float for int": (
        "[rules]\nabnormally_low_pct = 2.5\n",
        "rules.abnormally_low_pct",
        "valid integer",
    ),
    "out of range": ("[rules]\nmin_valid_offers = 0\n", "rules.min_valid_offers", "greater"),
    "wrong type: section is a value": ("", "database", "dictionary"),
    "bad date": ('[lta]\nvalid_from = "June"\n', "lta.valid_from", "date"),
    "validity reversed": (
        "[lta]\nvalid_from = 2027-01-01\nvalid_to = 2026-01-01\n",
        "lta",
        "valid_to is before valid_from",
    ),
    "bad role": ('role = "boss"\n', "user.role", "focal_point"),
    "unknown agency": ("", "user.agency", "unknown agency 'nope'"),
    "missing user": ("", "user", "field required"),
    "bad data_dir": ("", "data_dir", "organizations.csv"),
}


def _bad_text(case: str) -> str:
    extra, _, _ = BAD[case]
    head = f'data_dir = "{DATA_DIR}"\n'
    user = '[user]\nname = "T"\nagency = "UNDP"\n'
    if case == "unknown top-level key":
        head += 'colour = "blue"\n'
    elif case == "wrong type: section is a value":
        head += 'database = "sqlite:///x.db"\n'
    elif case == "unknown agency":
        user = user.replace("UNDP", "NOPE")
    elif case == "missing user":
        user = ""
    elif case == "bad data_dir":
        head = 'data_dir = "no/such/folder"\n'
    return head + user + extra


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_names_file_key_and_problem(tmp_path: Path, case: str):
    path = _write(tmp_path, _bad_text(case))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    _, key, problem = BAD[case]
    assert message.startswith(f"{path}: "), message
    assert key in message, message
    assert problem in message.lower(), message
    assert "\n" not in message, message


def test_missing_config_file_is_named(tmp_path: Path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        load_config(missing)


def test_missing_file_named_by_the_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"gone\.toml: config file not found"):
        load_config()


def test_undecodable_file_is_refused(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(path)


# --- the same through the command line ----------------------------------------------------------


@pytest.mark.parametrize(
    "case", ["toml syntax", "unknown key in a section", "wrong type: string for int", "bad role"]
)
def test_cli_bad_config_exits_2_with_one_line(tmp_path: Path, run_cli, case: str):
    path = _write(tmp_path, _bad_text(case), name="bad.toml")
    result = run_cli("--config", str(path), "init")
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and BAD[case][1] in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "lta.db").exists()


def test_cli_reads_the_config_named_by_the_environment(tmp_path: Path, run_cli):
    path = _write(tmp_path, _bad_text("unknown key in a section"), name="env.toml")
    result = run_cli("init", env={CONFIG_ENV: str(path)})
    assert result.returncode == 2
    assert result.stderr.strip() == f"lta-tui: {path}: rules.foo: unknown key"


def test_cli_missing_config_exits_2(tmp_path: Path, run_cli):
    result = run_cli("--config", str(tmp_path / "absent.toml"), "init")
    assert result.returncode == 2
    assert result.stderr.strip() == f"lta-tui: {tmp_path / 'absent.toml'}: config file not found"


def test_a_misspelt_required_key_is_named_before_the_missing_one(tmp_path: Path):
    path = _write(
        tmp_path,
        f'data_dir = "{DATA_DIR}"\n[user]\nname = "x"\nagancy = "UNDP"\n'
        '[rules]\nceiling_warn_pct = "lots"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: user.agancy: unknown key")
    assert "user.agency: Field required" in message and "rules.ceiling_warn_pct" in message
