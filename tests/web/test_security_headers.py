"""Every page carries a Content-Security-Policy without inline script, and refuses framing."""
import re

import pytest

from tests.conftest import login
from wagechannel.resources import resource_dir

TEMPLATES = resource_dir("templates")


@pytest.mark.parametrize("path", ["/", "/report", "/q", "/login", "/privacy", "/s"])
def test_public_pages_send_the_security_headers(client, db, path) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    script = re.search(r"script-src ([^;]+)", policy).group(1)  # type: ignore[union-attr]
    assert "unsafe-inline" not in script and "unsafe-eval" not in script
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_staff_pages_and_errors_send_them_too(client, db, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "staff")
    for path in ("/cases", "/projects", "/no-such-page"):
        assert "Content-Security-Policy" in client.get(path).headers


def test_no_template_has_inline_script_or_handlers() -> None:
    """Scripts come from /static (the one exception, the board print view, is allowed by its
    hash, because it is also opened from disk)."""
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"\son[a-z]+\s*=", text), f"event handler attribute in {path}"
        assert "javascript:" not in text, path
        for tag in re.findall(r"<script[^>]*>", text):
            if path.name != "print.html":
                assert "src=" in tag, f"inline script in {path}"


def test_the_print_view_allows_only_its_own_script(client, db, world) -> None:  # type: ignore[no-untyped-def]
    import base64
    import hashlib
    login(client, "contractor")
    response = client.get(f"/boards/{world.board.id}/download?format=html")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = response.headers["Content-Security-Policy"]
    assert f"'sha256-{digest}'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_the_form_script_is_served(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/static/wagechannel.js")
    assert response.status_code == 200 and b"report-form" in response.data
