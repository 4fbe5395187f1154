from wagechannel.accounts.privacy import mask_name, mask_phone
from wagechannel.places.models import region_ancestry, region_prefix
from wagechannel.tokens import CROCKFORD, is_code, normalise, random_code


def test_codes_are_crockford_base32() -> None:
    codes = {random_code(10) for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 10 and set(code) <= set(CROCKFORD) for code in codes)
    assert normalise(" g8qa-mdc4ox ") == "G8QAMDC40X"
    assert normalise("il") == "11"
    assert is_code("G8QAMDC40X", 10) and not is_code("G8QAMDC40XX", 10) and not is_code("", 10)
    assert not is_code("ABCU", 10)


def test_masking() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone(None) == "—"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李") == "李*"
    assert mask_name(None) == "（未留姓名）"


def test_region_codes() -> None:
    assert region_ancestry("440305") == ["440305", "440300", "440000"]
    assert region_ancestry("440300") == ["440300", "440000"]
    assert region_ancestry("500000") == ["500000"]
    assert region_prefix("500000") == "50"
    assert region_prefix("440300") == "4403"
    assert region_prefix("440305") == "440305"
