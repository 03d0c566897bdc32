"""The local engine's memory: a bounded, spilling pool sized from one setting."""

from __future__ import annotations

import pytest

from lakestep.config import load_settings, machine_memory, memory_limit
from lakestep.errors import ConfigError, engine_hint
from lakestep.platform.sail import engine_config, memory_config

GIB = 2**30


@pytest.mark.parametrize(("spec", "expected"), [
    ("50%", 8 * GIB), ("25 %", 4 * GIB), ("100%", 16 * GIB), ("8g", 8 * GIB),
    ("8G", 8 * GIB), ("512m", 512 * 2**20), ("512MiB", 512 * 2**20), ("1.5GB", int(1.5 * GIB)),
    ("1t", 2**40), ("1073741824", GIB), ("unbounded", None), ("Unbounded", None),
])
def test_memory_limit_reads_shares_and_sizes(spec, expected):
    assert memory_limit(spec, total=16 * GIB) == expected


@pytest.mark.parametrize("spec", ["lots", "", "0%", "150%", "-1g", "8 gigs", "10m", "1000"])
def test_memory_limit_refuses_what_is_not_a_usable_size(spec):
    with pytest.raises(ConfigError) as caught:
        memory_limit(spec, total=16 * GIB)
    assert "LAKESTEP_ENGINE_MEMORY" in str(caught.value.hint)


def test_machine_memory_is_this_machines():
    assert 256 * 2**20 < machine_memory() < 2**50


def test_settings_take_engine_memory_from_the_environment(tmp_path):
    assert load_settings(home=tmp_path, environ={}).engine_memory == "50%"
    assert load_settings(home=tmp_path, environ={"LAKESTEP_ENGINE_MEMORY": "6g"}).engine_memory \
        == "6g"
    with pytest.raises(ConfigError, match="not a size"):
        load_settings(home=tmp_path, environ={"LAKESTEP_ENGINE_MEMORY": "much"})


def test_engine_config_is_a_fair_pool_spilling_under_the_home(tmp_path):
    config = memory_config("4g", tmp_path / "spill")
    assert config["SAIL_RUNTIME__MEMORY_POOL__TYPE"] == "fair"
    assert config["SAIL_RUNTIME__MEMORY_POOL__FAIR__MAX_SIZE"] == str(4 * GIB)
    assert config["SAIL_RUNTIME__TEMPORARY_FILES__PATHS"] == f'["{tmp_path / "spill"}"]'
    assert not (tmp_path / "spill").exists()  # created when an engine starts, not before
    assert memory_config("unbounded") == {"SAIL_RUNTIME__MEMORY_POOL__TYPE": "unbounded"}


def test_a_pool_the_user_exported_wins_over_ours(monkeypatch):
    monkeypatch.setenv("SAIL_RUNTIME__MEMORY_POOL__TYPE", "greedy")
    config = engine_config(["main"], "main", memory="4g")
    assert "SAIL_RUNTIME__MEMORY_POOL__TYPE" not in config
    assert config["SAIL_RUNTIME__MEMORY_POOL__FAIR__MAX_SIZE"] == str(4 * GIB)


def test_out_of_memory_errors_get_a_hint_and_others_do_not():
    sail_error = RuntimeError("Failed to allocate additional 34.0 MB for HashJoinInput[1] with "
                              "15.9 MB already allocated - fair(pool_size: 64.0 MB)")
    assert "LAKESTEP_ENGINE_MEMORY" in str(engine_hint(sail_error))
    assert engine_hint(RuntimeError("[UNRESOLVED_COLUMN] x")) is None
