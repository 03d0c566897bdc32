"""TableStore on real Delta tables: semantics against a pandas oracle, versions, properties."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakestep.errors import InvalidName, LakestepError, TableNotFound, TableWriteError

SCHEMA = "id long, v string, x double"

rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20),
        st.sampled_from(["a", "b", "c", None]),
        st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)),
    ),
    max_size=12,
)
unique_rows = rows.map(lambda rs: list({r[0]: r for r in rs}.values()))


def _frame(spark, data):
    return spark.createDataFrame(pd.DataFrame(data, columns=["id", "v", "x"]), SCHEMA) if data \
        else spark.createDataFrame([], SCHEMA)


def _content(df) -> list[tuple]:
    return sorted((tuple(r) for r in df.collect()), key=repr)


def _oracle(frame: pd.DataFrame) -> list[tuple]:
    clean = frame.astype(object).where(frame.notna(), None)
    return sorted((tuple(r) for r in clean.itertuples(index=False)), key=repr)


def _same_rows(actual: list[tuple], expected: list[tuple]) -> bool:
    """Row equality where doubles may differ by one ULP.

    Sail 0.7.2 answers a Delta column whose file statistics have min == max from the JSON
    statistics, parsed with up to one ULP of error (see test_known_sail_stats_precision_defect);
    everything else must be exact.
    """
    key = lambda row: (row[0], repr(row[1]))  # noqa: E731
    actual, expected = sorted(actual, key=key), sorted(expected, key=key)
    if len(actual) != len(expected):
        return False
    for got, want in zip(actual, expected, strict=True):
        for a, b in zip(got, want, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                if a != b and np.nextafter(a, b) != b:
                    return False
            elif a != b:
                return False
    return True


_hyp = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@_hyp
@given(first=unique_rows, second=unique_rows)
def test_merge_upserts_like_a_pandas_oracle(platform, spark, first, second):
    name = f"main.test.merge_{abs(hash((tuple(first), tuple(second)))) % 10**9}"
    platform.tables.drop(name)
    platform.tables.write(name, _frame(spark, first))
    platform.tables.merge(name, _frame(spark, second), ["id"])
    old = pd.DataFrame(first, columns=["id", "v", "x"]).set_index("id")
    new = pd.DataFrame(second, columns=["id", "v", "x"]).set_index("id")
    expected = pd.concat([old[~old.index.isin(new.index)], new]).reset_index()
    assert _same_rows(_content(platform.tables.read(name)), _oracle(expected))


@_hyp
@given(first=unique_rows, second=unique_rows)
def test_only_new_or_changed_rows_reach_the_merge(platform, spark, first, second):
    from lakestep.tables import changed_rows

    old = {r[0]: r for r in first}
    expected = sorted((r for r in second if old.get(r[0]) != r), key=repr)
    got = _content(changed_rows(_frame(spark, second), _frame(spark, first), ["id"]))
    assert got == expected


def test_values_swapped_with_a_null_or_of_another_type_are_compared_as_values(spark):
    from lakestep.tables import changed_rows

    schema = "id long, a double, b double"
    old = spark.createDataFrame([(1, None, 5.0), (2, 5.0, None), (3, 1.0, 2.0)], schema)
    new = spark.createDataFrame([(1, 5.0, None), (2, 5.0, None), (3, 1.0, 2.0)],
                                "id long, a double, b double")
    assert _content(changed_rows(new, old, ["id"])) == [(1, 5.0, None)]
    # An int input against a double table: 1 and 1.0 are the same value once cast.
    ints = spark.createDataFrame([(3, 1, 2)], "id long, a int, b int")
    assert changed_rows(ints, old, ["id"]).count() == 0


def test_a_merge_of_rows_already_there_writes_nothing(platform, spark, table_name):
    rows = [(1, "a", 1.0), (2, None, None), (3, "c", 3.0)]
    v0 = platform.tables.write(table_name, _frame(spark, rows))
    assert platform.tables.merge(table_name, _frame(spark, rows[1:]), ["id"]) == v0
    assert platform.tables.version(table_name) == v0
    v1 = platform.tables.merge(table_name, _frame(spark, [(2, None, None), (3, "c", 4.0)]), ["id"])
    assert v1 == v0 + 1
    assert platform.tables.history(table_name)[0]["operation"] == "MERGE"
    assert _content(platform.tables.read(table_name)) == [(1, "a", 1.0), (2, None, None),
                                                          (3, "c", 4.0)]
    from lakestep.tables import STAGE_PREFIX

    schema = table_name.rsplit(".", 1)[0]
    assert not [t for t in platform.tables.list_tables(schema) if STAGE_PREFIX in t]


@_hyp
@given(first=rows, second=rows, cut=st.integers(min_value=0, max_value=20))
def test_replace_where_and_append_like_a_pandas_oracle(platform, spark, first, second, cut):
    name = f"main.test.rw_{abs(hash((tuple(first), tuple(second), cut))) % 10**9}"
    platform.tables.drop(name)
    platform.tables.write(name, _frame(spark, first))
    replacement = [r for r in second if r[0] < cut]
    platform.tables.replace_where(name, _frame(spark, replacement), f"id < {cut}")
    old = pd.DataFrame(first, columns=["id", "v", "x"])
    expected = pd.concat([old[old["id"] >= cut], pd.DataFrame(replacement, columns=old.columns)])
    assert _same_rows(_content(platform.tables.read(name)), _oracle(expected))
    platform.tables.write(name, _frame(spark, first), mode="append")
    assert _same_rows(_content(platform.tables.read(name)), _oracle(pd.concat([expected, old])))


def test_versions_time_travel_and_history(platform, spark, table_name):
    v0 = platform.tables.write(table_name, _frame(spark, [(1, "a", 1.0)]))
    v1 = platform.tables.write(table_name, _frame(spark, [(2, "b", 2.0)]), mode="append")
    v2 = platform.tables.merge(table_name, _frame(spark, [(1, "z", 9.0)]), ["id"])
    assert (v0, v1, v2) == (0, 1, 2)
    assert platform.tables.version(table_name) == 2
    assert _content(platform.tables.read(table_name, version=0)) == [(1, "a", 1.0)]
    assert _content(platform.tables.read(table_name)) == [(1, "z", 9.0), (2, "b", 2.0)]
    operations = [h["operation"] for h in platform.tables.history(table_name)]
    assert operations[0] == "MERGE" and len(operations) == 3
    with pytest.raises(LakestepError, match=r"has no version 7.*from 0 to 2"):
        platform.tables.read(table_name, version=7)


def test_properties_round_trip(platform, spark, table_name):
    platform.tables.write(table_name, _frame(spark, [(1, "a", 1.0)]))
    platform.tables.set_properties(table_name, {"comment": "it's a 'quoted' \\ value", "k": "v"})
    assert platform.tables.properties(table_name) == {"comment": "it's a 'quoted' \\ value", "k": "v"}


def test_three_level_names_in_sql_and_dataframe_api(platform, spark, table_name):
    platform.tables.write(table_name, _frame(spark, [(1, "a", 1.0), (2, "b", 2.0)]))
    catalog, schema, _ = table_name.split(".")
    assert spark.sql(f"SELECT sum(id) AS s FROM {table_name}").collect()[0]["s"] == 3
    assert spark.table(table_name).count() == 2
    assert table_name in platform.tables.list_tables(f"{catalog}.{schema}")


def test_duplicate_keys_are_refused_and_the_table_is_unchanged(platform, spark, table_name):
    platform.tables.write(table_name, _frame(spark, [(1, "a", 1.0)]))
    with pytest.raises(TableWriteError, match=r"duplicate primary key \{'id': 5\}.*unchanged"):
        platform.tables.merge(table_name, _frame(spark, [(5, "a", 1.0), (5, "b", 2.0)]), ["id"])
    assert platform.tables.version(table_name) == 0


def test_null_keys_are_refused(platform, spark, table_name):
    df = spark.createDataFrame([(None, "a", 1.0)], SCHEMA)
    with pytest.raises(TableWriteError, match="null value in key column"):
        platform.tables.merge(table_name, df, ["id"])
    assert not platform.tables.exists(table_name)


@pytest.mark.parametrize(
    "bad",
    ["main.gold", "main.gold.t; DROP TABLE x", "main.`gold`.t", "a.b.c.d", "main.gold.1abc",
     "main.go ld.t"],
)
def test_illegal_names_are_rejected_before_any_sql(platform, bad):
    with pytest.raises(InvalidName, match="invalid"):
        platform.tables.read(bad)


def test_unknown_table_names_what_exists(platform, spark):
    schema = f"main.lonely_{uuid.uuid4().hex[:8]}"
    table_name = f"{schema}.only_one"
    platform.tables.write(table_name, _frame(spark, [(1, "a", 1.0)]))
    with pytest.raises(TableNotFound, match=rf"{schema}.nope does not exist.*{table_name}"):
        platform.tables.read(f"{schema}.nope")


def test_illegal_column_names_are_refused(platform, spark, table_name):
    df = spark.createDataFrame([(1,)], "`bad col` long")
    with pytest.raises(TableWriteError, match="bad col"):
        platform.tables.write(table_name, df)


def test_drop_is_idempotent(platform, spark, table_name):
    platform.tables.write(table_name, _frame(spark, [(1, "a", 1.0)]))
    platform.tables.drop(table_name)
    platform.tables.drop(table_name)
    assert not platform.tables.exists(table_name)


def test_tables_survive_the_process(tmp_path):
    """A second, separate process sees every table, its versions and its properties."""
    writer = textwrap.dedent(f"""
        import lakestep
        with lakestep.connect(home={str(tmp_path)!r}, environ={{}}) as p:
            df = p.spark.createDataFrame([(1, 'a'), (2, 'b')], 'id long, v string')
            p.tables.write('main.gold.kept', df)
            p.tables.write('main.gold.kept', df.limit(1), mode='append')
            p.tables.set_properties('main.gold.kept', {{'owner': 'me'}})
    """)
    reader = textwrap.dedent(f"""
        import lakestep
        with lakestep.connect(home={str(tmp_path)!r}, environ={{}}) as p:
            print(p.spark.sql('SELECT count(*) AS n FROM main.gold.kept').collect()[0]['n'],
                  p.tables.version('main.gold.kept'),
                  p.tables.read('main.gold.kept', version=0).count(),
                  p.tables.properties('main.gold.kept')['owner'])
    """)
    subprocess.run([sys.executable, "-c", writer], check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-c", reader], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["3", "2", "2", "me"]


@pytest.mark.xfail(strict=True, reason="Sail 0.7.2 defect: a single-valued double column is read "
                   "from Delta JSON statistics with up to one ULP of error; strict, so a fixed "
                   "Sail turns this test red and the tolerance in _same_rows can go")
def test_known_sail_stats_precision_defect(platform, spark, table_name):
    value = 2.6996061727675184e-81
    platform.tables.write(table_name, spark.createDataFrame(pd.DataFrame({"x": [value]})))
    assert platform.tables.read(table_name).collect()[0]["x"] == value
