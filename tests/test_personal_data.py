"""Personal data at rest (issue 6 §6): 身份证号 and phone numbers are Fernet tokens in the database,
plain text only in Python; a keyed hash finds a member by exact 身份证号; the key comes from
DANGJIAN_DATA_KEY (several for rotation) or is generated once into instance/data_key; and the
migration that introduced all this encrypts the rows that were already there (and its downgrade
decrypts them)."""
import os
import stat
from datetime import date

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, insert, inspect, select, text

from dangjian import create_app
from dangjian.extensions import db
from dangjian.models import Member
from dangjian.personal_data import DataKeyError, blind_index, load_data_keys
from tests.conftest import TEST_DATA_KEY
from tests.factories import make_member
from tests.test_migrations import _drop_everything, logging_kept

ID_NUMBER = "11010519491231002X"  # a valid GB 11643 number (check character X)
PHONE = "13912345678"
BEFORE = "23416fba6e40"  # the revision before the encryption migration (f6cf8fa5a808)


def _raw(member_id: int) -> dict:
    """The member's row as the database holds it (no ORM type in between)."""
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT id_number, phone, id_number_hash FROM members WHERE id = :id"),
                           {"id": member_id}).mappings().one()
    return dict(row)


def _member(branch, name=None, **values) -> Member:
    m = make_member(branch, name)
    for key, value in values.items():
        setattr(m, key, value)
    db.session.commit()
    return m


def _fernet(key=TEST_DATA_KEY) -> Fernet:
    return Fernet(key.encode())


# --- (a) tokens in the database ----------------------------------------------------------

def test_the_database_holds_tokens_never_the_plain_numbers(app, org):
    m = _member(org.branch_a1, "郑玥", id_number=ID_NUMBER, phone=PHONE)
    raw = _raw(m.id)
    for column, plain in (("id_number", ID_NUMBER), ("phone", PHONE)):
        token = raw[column]
        assert token.startswith("gAAAAA") and plain not in token
        assert _fernet().decrypt(token.encode()).decode() == plain
    assert ID_NUMBER not in raw["id_number_hash"] and len(raw["id_number_hash"]) == 64
    # The same number twice gives two different tokens (a random IV): equal numbers do not show.
    other = _member(org.branch_a1, "郑玥二", id_number=ID_NUMBER)
    assert _raw(other.id)["id_number"] != raw["id_number"]
    # Python reads the plain values back.
    db.session.expire_all()
    assert (db.session.get(Member, m.id).id_number, db.session.get(Member, m.id).phone) == (ID_NUMBER, PHONE)


def test_an_empty_phone_stays_empty(app, org):
    m = _member(org.branch_a1, phone="")
    assert _raw(m.id)["phone"] == ""


def test_a_changed_number_is_encrypted_and_reindexed(app, org):
    m = org.member.member
    m.id_number = ID_NUMBER
    db.session.commit()
    raw = _raw(m.id)
    assert _fernet().decrypt(raw["id_number"].encode()).decode() == ID_NUMBER
    assert raw["id_number_hash"] == blind_index(ID_NUMBER)


# --- (b) the keyed hash ------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    ID_NUMBER, ID_NUMBER.lower(), f"  {ID_NUMBER} ", "110105 19491231 002x", "１１０１０５１９４９１２３１００２Ｘ",
])
def test_an_exact_search_finds_the_member_however_the_number_is_typed(app, org, typed):
    m = _member(org.branch_a1, "郑玥", id_number=ID_NUMBER)
    _member(org.branch_a1, "旁人", id_number="110105194912310038")
    found = db.session.scalars(select(Member).where(Member.id_number_hash == blind_index(typed))).all()
    assert [x.id for x in found] == [m.id]


def test_the_hash_is_keyed(app):
    """Without the key, nobody can hash the 1.4 billion possible numbers to reverse the index."""
    import hashlib
    keyed = blind_index(ID_NUMBER)
    assert keyed not in (hashlib.sha256(ID_NUMBER.encode()).hexdigest(), hashlib.sha256(b"").hexdigest())
    app.config["DATA_KEYS"] = [Fernet.generate_key().decode()]
    assert blind_index(ID_NUMBER) != keyed
    assert blind_index("") is None and blind_index(None) is None and blind_index("   ") is None


# --- (c) the key ---------------------------------------------------------------------------

def test_the_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DANGJIAN_DATA_KEY", raising=False)
    first = load_data_keys(str(tmp_path))
    path = tmp_path / "data_key"
    assert len(first) == 1 and Fernet(first[0].encode())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # readable by the app's user only
    assert load_data_keys(str(tmp_path)) == first  # the next start reads the same key
    assert path.read_text().strip() == first[0]


def test_the_environment_wins_and_may_list_several_keys(tmp_path, monkeypatch):
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("DANGJIAN_DATA_KEY", f" {new} , {old},")
    assert load_data_keys(str(tmp_path)) == [new, old]
    assert not (tmp_path / "data_key").exists()  # nothing generated when the environment has keys


@pytest.mark.parametrize("value", ["not-a-key", "abc,def", "5vWmCPIYGAe0A3tscPvfgy8xdlz_mr-yp4GbYgXm110=,short"],
                         ids=["not-a-key", "two-bad-keys", "good-then-short"])
def test_a_bad_key_stops_the_app_at_start_with_a_clear_message(tmp_path, monkeypatch, value):
    monkeypatch.setenv("DANGJIAN_DATA_KEY", value)
    with pytest.raises(DataKeyError, match="DANGJIAN_DATA_KEY 的第 . 个数据密钥无效"):
        load_data_keys(str(tmp_path))


def test_create_app_reads_the_key_from_the_environment(tmp_path, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("DANGJIAN_DATA_KEY", key)
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.sqlite3'}"})
    assert app.config["DATA_KEYS"] == [key]


def test_rotation_by_putting_a_new_key_in_front(app, org):
    """Old rows still decrypt and are still found; new writes use the new key; and without the
    old key the old rows cannot be read (so it must be kept, and backed up)."""
    m = _member(org.branch_a1, "郑玥", id_number=ID_NUMBER)
    new = Fernet.generate_key().decode()
    app.config["DATA_KEYS"] = [new, TEST_DATA_KEY]
    db.session.expire_all()
    assert db.session.get(Member, m.id).id_number == ID_NUMBER
    assert db.session.scalar(select(Member.id).where(Member.id_number_hash == blind_index(ID_NUMBER))) == m.id
    m2 = _member(org.branch_a1, "新党员", id_number="110105194912310038")
    assert Fernet(new.encode()).decrypt(_raw(m2.id)["id_number"].encode()).decode() == "110105194912310038"
    app.config["DATA_KEYS"] = [new]
    db.session.expire_all()
    with pytest.raises(DataKeyError, match="个人信息无法解密"):
        db.session.get(Member, m.id).id_number
    db.session.rollback()
    app.config["DATA_KEYS"] = [new, TEST_DATA_KEY]


# --- (d) the migration encrypts what was there ---------------------------------------------

@pytest.fixture
def old_database(tmp_path, postgres_url):
    """A database at the revision before encryption, with two members in plain text."""
    url = postgres_url or f"sqlite:///{tmp_path / 'old.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
                      "ARCHIVE_DIR": str(tmp_path / "archive"), "UPLOAD_DIR": str(tmp_path / "uploads"),
                      "DEMO_MODE": False, "DATA_KEYS": [TEST_DATA_KEY]})
    with app.app_context():
        _drop_everything()
        with logging_kept():
            upgrade(revision=BEFORE)
        meta = MetaData()
        orgs, members = Table("organizations", meta, autoload_with=db.engine), Table("members", meta, autoload_with=db.engine)
        assert members.c.id_number.type.length == 18  # really the old schema
        common = dict(gender="女", person_category="staff", member_category="full", joined_party_on=date(1970, 7, 1),
                      birth_date=date(1949, 12, 31), monthly_dues=4500, is_model_worker=False,
                      living_difficulty=False, lives_alone=False, frail_sick_disabled=False)
        with db.engine.begin() as conn:
            conn.execute(insert(orgs).values(id=1, name="测试党支部", kind="branch", branch_type="staff", path="/1/",
                                             sort_order=0))
            conn.execute(insert(members), [
                dict(id=1, name="郑玥", staff_no="000123", id_number=ID_NUMBER, phone=PHONE, branch_id=1, **common),
                dict(id=2, name="吴老", staff_no="000124", id_number="110105194912310038", phone="", branch_id=1,
                     **common)])
        yield app
        db.session.remove()
        _drop_everything()
        db.engine.dispose()


def test_the_migration_encrypts_existing_rows_and_the_downgrade_decrypts_them(old_database):
    with logging_kept():
        upgrade()
    first, second = _raw(1), _raw(2)
    assert first["id_number"].startswith("gAAAAA") and ID_NUMBER not in first["id_number"]
    assert _fernet().decrypt(first["id_number"].encode()).decode() == ID_NUMBER
    assert _fernet().decrypt(first["phone"].encode()).decode() == PHONE
    assert second["phone"] == ""
    assert first["id_number_hash"] == blind_index(ID_NUMBER.lower())
    assert second["id_number_hash"] == blind_index("110105194912310038")
    # The models read the plain values back, and the search finds them.
    m = db.session.get(Member, 1)
    assert (m.id_number, m.phone, m.staff_no) == (ID_NUMBER, PHONE, "000123")
    assert db.session.scalar(select(Member.id).where(Member.id_number_hash == blind_index(ID_NUMBER))) == 1
    db.session.remove()

    with logging_kept():
        downgrade(revision=BEFORE)
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, id_number, phone FROM members ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, ID_NUMBER, PHONE), (2, "110105194912310038", "")]
    assert "id_number_hash" not in {c["name"] for c in inspect(db.engine).get_columns("members")}


def test_running_the_encryption_twice_never_encrypts_a_token_again(old_database):
    """Upgrade, downgrade and upgrade again: one layer of encryption, always."""
    with logging_kept():
        upgrade()
        downgrade(revision=BEFORE)
        upgrade()
    token = _raw(1)["id_number"]
    assert _fernet().decrypt(token.encode()).decode() == ID_NUMBER
