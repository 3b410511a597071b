"""Two users at once (optimistic version check): two real processes on one SQLite file load the
same order; the first saves, the second is refused with who changed it and when, and the
database keeps the first one's change. Plus the same check in one process for every write."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from lta_tui.config import load_config
from lta_tui.services.database import initialise, open_engine
from lta_tui.services.orders import (
    Actor,
    OrderConflict,
    ReviewInput,
    cancel_order,
    close_order,
    issue_order,
    load_order_input,
    record_delivery,
    review_order,
    save_order,
)
from tests.conftest import ROOT, write_config
from tests.order_setup import (
    ANA,
    DAY,
    NOW,
    RULES,
    audit_events,
    direct_order,
    make_sub_lta,
    order_row,
)

D = Decimal
GOOD = ReviewInput(4, 4, 3, 4, 3, "on time")

EDITOR = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from datetime import datetime, timezone
    from decimal import Decimal

    from lta_tui.config import load_config
    from lta_tui.services.database import open_engine
    from lta_tui.services.orders import Actor, OrderConflict, load_order_input, save_order

    config_path, order_id, who, quantity = sys.argv[1:5]
    config = load_config(config_path)
    engine = open_engine(config)
    actor = replace(Actor.from_config(config), name=who)
    order, version, status = load_order_input(engine, int(order_id))
    print("loaded", version, flush=True)
    sys.stdin.readline()  # wait for the parent's go
    first = replace(order.lines[0], quantity=Decimal(quantity))
    changed = replace(order, lines=(first, *order.lines[1:]))
    try:
        saved = save_order(
            engine, changed, actor, config.rules, now=datetime.now(timezone.utc),
            order_id=int(order_id), expected_version=version,
        )
    except OrderConflict as exc:
        print("conflict", exc, flush=True)
        sys.exit(3)
    print("saved", saved.version, flush=True)
    """
)


def start_editor(script, config_path, order_id, who, quantity):
    proc = subprocess.Popen(
        [sys.executable, str(script), str(config_path), str(order_id), who, quantity],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    line = proc.stdout.readline()
    assert line.startswith("loaded"), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, int(line.split()[1])


def go(proc) -> tuple[int, str, str]:
    out, err = proc.communicate("go\n", timeout=120)
    return proc.returncode, out, err


def test_second_of_two_processes_saving_the_same_order_gets_a_conflict(tmp_path):
    config_path = write_config(tmp_path)
    config = load_config(config_path)
    engine = open_engine(config)
    initialise(config, engine)
    make_sub_lta(engine)
    saved = save_order(engine, direct_order(), ANA, RULES, now=NOW)
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")

    first, v1 = start_editor(script, config_path, saved.id, "Ana Ruiz", "7")
    second, v2 = start_editor(script, config_path, saved.id, "Bo Berg", "9")
    assert v1 == v2 == 1  # both loaded version 1
    code, out, err = go(first)
    assert (code, out.strip()) == (0, "saved 2"), err
    code, out, err = go(second)
    assert code == 3, (out, err)
    message = out.strip()
    assert message.startswith("conflict UNDP-2026-000001 was changed by Ana Ruiz at ")
    assert message.endswith("UTC since you opened it: nothing was saved; reload it")
    assert "Traceback" not in err

    order, version, _ = load_order_input(engine, saved.id)
    assert version == 2 and order.lines[0].quantity == D(7)  # the first one's change holds
    assert order_row(engine, saved.id).updated_by == "Ana Ruiz"
    assert [e[0] for e in audit_events(engine, saved.id)] == ["create", "update"]
    engine.dispose()


@pytest.fixture
def db(engine):
    make_sub_lta(engine)
    return engine


def stale(db, saved, call):
    """`call()` with a stale version raises OrderConflict and writes nothing."""
    events = audit_events(db, saved.id)
    row = order_row(db, saved.id)
    with pytest.raises(OrderConflict) as err:
        call()
    assert audit_events(db, saved.id) == events and order_row(db, saved.id) == row
    return err.value


def test_conflict_message_names_who_and_when(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    bo = Actor("Bo Berg", "UNDP", "focal_point")
    later = NOW + timedelta(minutes=14)
    issue_order(db, saved.id, bo, RULES, now=later, expected_version=1)
    changed = replace(direct_order(), destination_country="UG")
    err = stale(
        db,
        saved,
        lambda: save_order(db, changed, ANA, RULES, now=NOW, order_id=saved.id, expected_version=1),
    )
    assert (err.who, err.at) == ("Bo Berg", later)
    assert str(err) == (
        "UNDP-2026-000001 was changed by Bo Berg at 2026-11-15 09:14 UTC since you opened it:"
        " nothing was saved; reload it"
    )


def test_every_lifecycle_write_checks_the_version(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    issued = issue_order(db, saved.id, ANA, RULES, now=NOW, expected_version=1)
    stale(db, saved, lambda: issue_order(db, saved.id, ANA, RULES, now=NOW, expected_version=1))
    stale(
        db, saved, lambda: cancel_order(db, saved.id, ANA, now=NOW, reason="x", expected_version=1)
    )
    stale(
        db,
        saved,
        lambda: record_delivery(
            db, saved.id, ANA, now=NOW, delivered_on=DAY, quantities={1: D(1)}, expected_version=1
        ),
    )
    stale(db, saved, lambda: close_order(db, saved.id, ANA, now=NOW, expected_version=1))
    assert order_row(db, saved.id).version == issued.version == 2
    # an amendment of the issued order from the draft's version
    first = direct_order().lines[0]
    amended = replace(
        direct_order(),
        lines=(replace(first, quantity=D(3)), *direct_order().lines[1:]),
        amendment_reason="one more",
    )
    stale(
        db,
        saved,
        lambda: save_order(db, amended, ANA, RULES, now=NOW, order_id=saved.id, expected_version=1),
    )
    # a review of the delivered order from the issued order's version
    everything = {n: line.quantity for n, line in enumerate(direct_order().lines, 1)}
    delivered = record_delivery(
        db, saved.id, ANA, now=NOW, delivered_on=DAY, quantities=everything, expected_version=2
    )
    assert delivered.status == "delivered"
    stale(
        db,
        saved,
        lambda: review_order(db, saved.id, ANA, now=NOW, review=GOOD, expected_version=2),
    )
    reviewed = review_order(
        db, saved.id, ANA, now=NOW, review=GOOD, expected_version=delivered.version
    )
    assert reviewed.version == delivered.version + 1
    # a second focal point who opened the order before the first review
    stale(
        db,
        saved,
        lambda: review_order(
            db,
            saved.id,
            Actor("Bo Berg", "UNDP", "focal_point"),
            now=NOW,
            review=replace(GOOD, conformity=1),
            expected_version=delivered.version,
        ),
    )


def test_saving_a_stored_order_without_its_version_is_a_programming_error(db):
    saved = save_order(db, direct_order(), ANA, RULES, now=NOW)
    with pytest.raises(ValueError, match="expected_version"):
        save_order(db, direct_order(), ANA, RULES, now=NOW, order_id=saved.id)
    assert order_row(db, saved.id).version == 1
