"""Extensions: HA1s only, conflicts, updates, seeding that never overwrites."""

from __future__ import annotations

import hashlib
import threading

import pytest

from kefu.config import ExtensionConfig
from kefu.store import Conflict, Extension, Invalid, NotFound, Store


def _md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def _sha(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def test_create_stores_ha1_not_password(store: Store) -> None:
    ext = store.create_extension("1001", "s3cret!", "Alice", "kefu")
    assert isinstance(ext, Extension)
    assert ext.number == "1001" and ext.display_name == "Alice" and ext.enabled
    assert ext.ha1_md5 == _md5("1001:kefu:s3cret!")
    assert ext.ha1_sha256 == _sha("1001:kefu:s3cret!")
    assert store.get_extension("1001") == ext
    with store._engine.connect() as conn:
        dump = repr(conn.exec_driver_sql("SELECT * FROM extensions").fetchall())
    assert "s3cret!" not in dump


def test_extension_is_frozen(store: Store) -> None:
    ext = store.create_extension("1001", "secret1", "", "kefu")
    with pytest.raises(AttributeError):
        ext.enabled = False  # type: ignore[misc]


def test_duplicate_is_conflict(store: Store) -> None:
    store.create_extension("1001", "secret1", "A", "kefu")
    with pytest.raises(Conflict):
        store.create_extension("1001", "secret2", "B", "kefu")
    assert store.get_extension("1001").display_name == "A"  # type: ignore[union-attr]


@pytest.mark.parametrize("number,password", [
    ("1", "secret1"), ("12345678901", "secret1"), ("10a1", "secret1"), ("", "secret1"),
    ("١٢٣", "secret1"), ("1001", "short"),
])
def test_create_rejects_bad_input(store: Store, number: str, password: str) -> None:
    with pytest.raises(Invalid):
        store.create_extension(number, password, "", "kefu")
    assert store.list_extensions() == []


def test_get_unknown_is_none(store: Store) -> None:
    assert store.get_extension("9999") is None


def test_list_is_ordered(store: Store) -> None:
    for n in ("1003", "1001", "1002"):
        store.create_extension(n, "secret1", "", "kefu")
    assert [e.number for e in store.list_extensions()] == ["1001", "1002", "1003"]


def test_update_fields(store: Store) -> None:
    before = store.create_extension("1001", "secret1", "A", "kefu")
    after = store.update_extension("1001", display_name="B", enabled=False)
    assert (after.display_name, after.enabled, after.ha1_md5) == ("B", False, before.ha1_md5)
    assert after.updated_at >= before.updated_at
    pw = store.update_extension("1001", password="newpass1", realm="pbx")
    assert pw.ha1_md5 == _md5("1001:pbx:newpass1") and pw.realm == "pbx"
    assert pw.ha1_sha256 == _sha("1001:pbx:newpass1")
    assert store.get_extension("1001") == pw


def test_update_errors(store: Store) -> None:
    with pytest.raises(NotFound):
        store.update_extension("9999", display_name="x")
    store.create_extension("1001", "secret1", "A", "kefu")
    with pytest.raises(Invalid):
        store.update_extension("1001", password="newpass1")   # no realm
    with pytest.raises(Invalid):
        store.update_extension("1001", password="abc", realm="kefu")
    assert store.get_extension("1001").ha1_md5 == _md5("1001:kefu:secret1")  # type: ignore[union-attr]


def test_delete(store: Store) -> None:
    store.create_extension("1001", "secret1", "", "kefu")
    assert store.delete_extension("1001") is True
    assert store.delete_extension("1001") is False
    assert store.get_extension("1001") is None


def test_seed_creates_missing_and_never_overwrites(store: Store) -> None:
    store.create_extension("1001", "mine-own", "Kept", "kefu")
    created = store.seed_extensions(
        [ExtensionConfig("1001", "fromconfig", "Config"), ExtensionConfig("1002", "secret2", "B")],
        "kefu")
    assert created == ["1002"]
    kept = store.get_extension("1001")
    assert kept.display_name == "Kept" and kept.ha1_md5 == _md5("1001:kefu:mine-own")  # type: ignore[union-attr]
    assert store.seed_extensions([ExtensionConfig("1002", "other12", "X")], "kefu") == []
    assert store.get_extension("1002").ha1_md5 == _md5("1002:kefu:secret2")  # type: ignore[union-attr]


def test_seed_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(Invalid):
        # model_construct: a bad number the config would refuse, to show the store refuses it too
        store.seed_extensions([ExtensionConfig("1001", "secret1"),
                               ExtensionConfig.model_construct(number="x", password="secret1")],
                              "kefu")
    assert store.list_extensions() == []


def test_concurrent_writers_do_not_fail(store: Store) -> None:
    """Many threads creating and updating at once: no 'database is locked', no lost rows."""
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            n = f"2{i:03d}"
            store.create_extension(n, "secret1", "", "kefu")
            store.update_extension(n, display_name=f"t{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.list_extensions()) == 16
