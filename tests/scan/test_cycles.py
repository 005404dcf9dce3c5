"""MC505 finds exactly the models on base-model cycles, whatever the shape of the graph.

The SQL prunes chains before it walks; these examples hold it to the plain definition: a
model is on a cycle when following its bases leads back to it (a model that is its own base
is MC407, not a cycle).
"""

from __future__ import annotations

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import TupleRow
from tests.support.synthetic_registry import build_registry, model_id

from model_conformance.scan.sql_rules import cycle_findings

Conn = psycopg.Connection[TupleRow]

NODES = 14  # the registry has 20 models; the graph uses the first 14

# Each model's base: None or any model (itself included), so long tails, loops of every
# length up to NODES, tails running into loops and self-references all come up.
graphs = st.lists(st.one_of(st.none(), st.integers(0, NODES - 1)), min_size=NODES, max_size=NODES)


def cycles_by_definition(bases: list[int | None]) -> dict[str, str]:
    """Each model on a cycle, with its chain written as the scan writes it."""
    found = {}
    for start in range(len(bases)):
        chain, node = [start], bases[start]
        while node is not None and node != chain[-1] and node not in chain[1:]:
            chain.append(node)
            if node == start:
                break
            node = bases[node]
        if len(chain) > 2 and chain[-1] == start:
            found[model_id(start)] = " -> ".join(model_id(i) for i in chain)
    return found


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(bases=graphs)
def test_mc505_reports_exactly_the_models_on_cycles(db_conn: Conn, bases: list[int | None]) -> None:
    if not db_conn.execute("SELECT 1 FROM artifacts LIMIT 1").fetchone():
        build_registry(db_conn, 20, seeds=())
        db_conn.commit()
    try:
        db_conn.cursor().executemany(
            "UPDATE model_versions SET base_model_id = %s WHERE artifact_id = %s",
            [(None if b is None else model_id(b), model_id(i)) for i, b in enumerate(bases)],
        )
        found = {f.artifact_id: f.message for f in cycle_findings(db_conn)}
    finally:
        db_conn.rollback()
    expected = cycles_by_definition(bases)
    assert set(found) == set(expected)
    for artifact_id, chain in expected.items():
        assert found[artifact_id] == f"base-model chain loops back to this model: {chain}"
