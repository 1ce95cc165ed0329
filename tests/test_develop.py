"""scripts/develop's seeded Home Assistant state: the API token it hands out is the running configuration's."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import jwt
import pytest

DEVELOP = Path(__file__).parents[1] / "scripts" / "develop.py"


@pytest.fixture
def develop() -> ModuleType:
    """scripts/develop.py as a module (its paths are set per test)."""
    spec = importlib.util.spec_from_file_location("develop", DEVELOP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed(develop: ModuleType, monkeypatch: pytest.MonkeyPatch, config: Path, run: Path) -> str:
    monkeypatch.setattr(develop, "STORAGE", config / ".storage")
    monkeypatch.setattr(develop, "RUN", run)
    monkeypatch.setattr(develop, "WHISPER_DIR", config / "no-whisper")
    token: str = develop.seed_storage(argparse.Namespace(household=develop.HOUSEHOLD, mqtt_port=1883))
    assert (run / "token").read_text() == token  # what .run/token says is what this run uses
    return token


def _signed_by(config: Path, token: str) -> bool:
    """Whether Home Assistant with this configuration would accept the token (auth's own check)."""
    auth = json.loads((config / ".storage" / "auth").read_text())["data"]
    for refresh in auth["refresh_tokens"]:
        try:
            jwt.decode(token, refresh["jwt_key"], algorithms=["HS256"], issuer=refresh["id"])
        except jwt.InvalidTokenError:
            continue
        return True
    return False


def test_each_configuration_gets_its_own_token_though_both_legs_share_the_run_directory(
    develop: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    oldest, current = tmp_path / "config", tmp_path / "config-current"
    assert _signed_by(oldest, _seed(develop, monkeypatch, oldest, run))  # --ha min seeds config/
    assert _signed_by(current, _seed(develop, monkeypatch, current, run))  # --ha current its own
    # --ha min again: its state is there already (not seeded again), and the token is still its own
    again = _seed(develop, monkeypatch, oldest, run)
    assert _signed_by(oldest, again)
    assert not _signed_by(current, again)


def test_a_configuration_whose_token_was_deleted_says_how_to_start_over(
    develop: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config, run = tmp_path / "config", tmp_path / "run"
    run.mkdir()
    _seed(develop, monkeypatch, config, run)
    auth_file = config / ".storage" / "auth"
    auth = json.loads(auth_file.read_text())
    auth["data"]["refresh_tokens"] = []  # revoked in the profile page
    auth_file.write_text(json.dumps(auth))
    with pytest.raises(SystemExit, match="--reset"):
        _seed(develop, monkeypatch, config, run)
