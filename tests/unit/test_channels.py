"""Reminder channels against servers on loopback that this file starts: the WeCom and DingTalk
group-robot webhooks (a small http.server) and SMTP (a minimal responder on socketserver).
Nothing here may reach any other address: `loopback_only` refuses it."""
from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest

from wagechannel.deadlines.channels import (ChannelError, Mailer, Unreachable, dingtalk_payload,
                                            dingtalk_signed, markdown, send_webhook,
                                            wecom_payload)
from wagechannel.deadlines.settings import SmtpSettings, Webhook, reminder_settings

SUBJECT = "【期限提醒】案件WC-1：首次联系反映人，还剩1天（2026-12-01）"
BODY = "案件：WC-1\n期限：首次联系反映人\n打开案件：http://wc.test/cases/1\n确认已在处理：http://wc.test/reminders/ack/abc"


# --- the loopback servers (also used by test_reminders.py) --------------------------------------

class Robot:
    """A group robot's webhook on 127.0.0.1: records each POST (path, query, JSON) and answers
    what `answer` says: (HTTP status, JSON body)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answer: Callable[[], tuple[int, dict[str, Any]]] = lambda: (200, {"errcode": 0,
                                                                                 "errmsg": "ok"})
        self.lock = threading.Lock()
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length).decode("utf-8"))
                parts = urlsplit(self.path)
                with robot.lock:
                    robot.received.append({"path": parts.path, "query": parse_qs(parts.query),
                                           "json": payload,
                                           "type": self.headers.get("Content-Type")})
                    status, answer = robot.answer()
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/cgi-bin/webhook/send?key=test") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailServer:
    """Just enough SMTP on 127.0.0.1: EHLO (AUTH PLAIN offered), AUTH, MAIL, RCPT, DATA, RSET,
    NOOP, QUIT. Keeps each message (parsed) and counts connections; `refuse` names recipients
    it answers 550."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.connections = 0
        self.logins: list[str] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def handle(self) -> None:
                with server.lock:
                    server.connections += 1
                self.reply("220 loopback ESMTP")
                sender, recipients = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-loopback")
                        self.reply("250-AUTH PLAIN")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 loopback")
                    elif verb == "AUTH":
                        with server.lock:
                            server.logins.append(line)
                        self.reply("235 2.7.0 Authentication successful")
                    elif verb == "MAIL":
                        sender, recipients = line[10:].strip("<> "), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = line.split(":", 1)[1].strip().strip("<>").split(">")[0]
                        if address in server.refuse:
                            self.reply("550 5.1.1 no such user")
                        else:
                            recipients.append(address)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        lines = []
                        while True:
                            data = self.rfile.readline()
                            if data in (b".\r\n", b".\n", b""):
                                break
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        with server.lock:
                            server.messages.append(email.message_from_bytes(b"".join(lines)))
                            server.envelopes.append((sender, recipients))
                        self.reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def robot() -> Iterator[Robot]:
    server = Robot()
    yield server
    server.close()


@pytest.fixture()
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every outgoing connection in these tests goes to 127.0.0.1 or fails the test."""
    real = socket.create_connection

    def guarded(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        host = address[0]
        assert host in ("127.0.0.1", "localhost", "::1"), f"connection to {host} refused"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)


def header(message: email.message.Message, name: str) -> str:
    return str(make_header(decode_header(message[name])))


# --- the webhooks ------------------------------------------------------------------------------

def test_wecom_robot_gets_markdown(robot: Robot) -> None:
    send_webhook("wecom", Webhook(robot.url()), SUBJECT, BODY)
    [got] = robot.received
    assert got["path"] == "/cgi-bin/webhook/send" and got["query"] == {"key": ["test"]}
    assert got["type"].startswith("application/json")
    assert got["json"]["msgtype"] == "markdown"
    content = got["json"]["markdown"]["content"]
    assert content.startswith(f"**{SUBJECT}**")
    assert "[打开案件](http://wc.test/cases/1)" in content
    assert "[确认已在处理](http://wc.test/reminders/ack/abc)" in content
    assert got["json"] == wecom_payload(SUBJECT, BODY)


def test_dingtalk_robot_gets_title_and_text_and_a_valid_signature(robot: Robot) -> None:
    secret = "SEC0123456789"
    send_webhook("dingtalk", Webhook(robot.url("/robot/send?access_token=t"), secret),
                 SUBJECT, BODY)
    [got] = robot.received
    assert got["json"] == {"msgtype": "markdown",
                           "markdown": {"title": SUBJECT[:64], "text": markdown(SUBJECT, BODY)}}
    assert got["json"] == dingtalk_payload(SUBJECT, BODY)
    stamp = got["query"]["timestamp"][0]
    expected = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert got["query"]["sign"] == [expected]
    assert got["query"]["access_token"] == ["t"]
    # without a secret the address is used as it is
    assert dingtalk_signed("http://127.0.0.1/x?a=1", None) == "http://127.0.0.1/x?a=1"
    assert unquote_plus(dingtalk_signed("http://h/x", "s", now_ms=1).split("sign=")[1])


def test_a_robot_that_refuses_or_fails_is_an_error(robot: Robot) -> None:
    robot.answer = lambda: (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(ChannelError, match="93000"):
        send_webhook("wecom", Webhook(robot.url()), SUBJECT, BODY)
    robot.answer = lambda: (500, {"error": "down"})
    with pytest.raises(ChannelError, match="HTTP 500") as raised:
        send_webhook("dingtalk", Webhook(robot.url()), SUBJECT, BODY)
    assert not isinstance(raised.value, Unreachable)
    with pytest.raises(Unreachable):
        send_webhook("wecom", Webhook(f"http://127.0.0.1:{closed_port()}/send"), SUBJECT, BODY)


# --- e-mail ------------------------------------------------------------------------------------

def smtp(server: MailServer, **overrides: Any) -> SmtpSettings:
    values = {"host": "127.0.0.1", "port": server.port, "user": None, "password": None,
              "sender": "reminders@wc.test", "tls": "auto", **overrides}
    return SmtpSettings(**values)


def test_email_over_one_connection_in_chinese(mail_server: MailServer) -> None:
    mailer = Mailer(smtp(mail_server))
    mailer.send("zhang@wc.test", SUBJECT, BODY)
    mailer.send("li@wc.test", SUBJECT, BODY)
    mailer.close()
    assert mail_server.connections == 1
    assert [envelope[1] for envelope in mail_server.envelopes] == [["zhang@wc.test"],
                                                                    ["li@wc.test"]]
    first = mail_server.messages[0]
    assert header(first, "Subject") == SUBJECT
    assert header(first, "To") == "zhang@wc.test"
    assert "reminders@wc.test" in header(first, "From")
    text = first.get_payload(decode=True).decode(first.get_content_charset())
    assert text.replace("\r\n", "\n").strip() == BODY


def test_email_login_and_refused_recipient(mail_server: MailServer) -> None:
    mail_server.refuse.add("nobody@wc.test")
    mailer = Mailer(smtp(mail_server, user="robot", password="pw", tls="none"))
    mailer.send("zhang@wc.test", SUBJECT, BODY)  # loopback: a password may go unencrypted
    assert mail_server.logins and mail_server.logins[0].startswith("AUTH PLAIN")
    with pytest.raises(ChannelError, match="nobody@wc.test") as raised:
        mailer.send("nobody@wc.test", SUBJECT, BODY)
    assert not isinstance(raised.value, Unreachable)
    mailer.close()
    with pytest.raises(Unreachable):
        Mailer(SmtpSettings("127.0.0.1", closed_port(), None, None, "r@wc.test", "auto")).send(
            "zhang@wc.test", SUBJECT, BODY)


# --- settings ----------------------------------------------------------------------------------

def test_settings_read_from_configuration() -> None:
    found = reminder_settings({
        "SUPERVISORS": "zhao, qian", "REMINDER_EMAILS": "zhang=zhang@wc.test,li=li@wc.test",
        "WEBHOOKS": '{"3": {"wecom": "http://127.0.0.1:1/w", "dingtalk": "http://127.0.0.1:1/d",'
                    ' "dingtalk_secret": "SEC1"}}',
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": "2525", "SMTP_FROM": "r@wc.test",
        "FIRST_CONTACT_WORKING_DAYS": 2})
    assert found.supervisors == {"zhao", "qian"}
    assert found.emails == {"zhang": "zhang@wc.test", "li": "li@wc.test"}
    assert found.channels_of(3) == {"wecom": Webhook("http://127.0.0.1:1/w"),
                                    "dingtalk": Webhook("http://127.0.0.1:1/d", "SEC1")}
    assert found.channels_of(4) == {} and found.channels_of(None) == {}
    assert found.smtp is not None and found.smtp.port == 2525
    assert found.first_contact_days == 2
    assert reminder_settings({"REMINDER_EMAILS": '{"zhang": "zhang@wc.test"}'}).emails == {
        "zhang": "zhang@wc.test"}


@pytest.mark.parametrize(("name", "value", "named"), [
    ("WEBHOOKS", "{not json", "WEBHOOKS"),
    ("WEBHOOKS", '{"centre": {"wecom": "http://127.0.0.1/"}}', "机构编号"),
    ("WEBHOOKS", '{"1": {"wecom": "ftp://x"}}', "http://"),
    ("WEBHOOKS", '{"1": {"slack": "http://127.0.0.1/"}}', "slack"),
    ("REMINDER_EMAILS", "zhang", "REMINDER_EMAILS"),
    ("REMINDER_EMAILS", "zhang=not-an-address", "zhang"),
    ("SMTP_TLS", "maybe", "SMTP_TLS"),
    ("FIRST_CONTACT_WORKING_DAYS", 0, "FIRST_CONTACT_WORKING_DAYS"),
    ("DIGEST_HOUR", 24, "DIGEST_HOUR"),
])
def test_a_bad_setting_is_refused_by_name(name: str, value: Any, named: str) -> None:
    config = {name: value}
    if name == "SMTP_TLS":
        config.update(SMTP_HOST="127.0.0.1", SMTP_FROM="r@wc.test")
    with pytest.raises(ValueError, match=named):
        reminder_settings(config)


def test_the_application_refuses_to_start_with_a_bad_setting(database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import app_config
    from wagechannel import create_app

    with pytest.raises(ValueError, match="WEBHOOKS"):
        create_app(app_config(database_url, str(tmp_path), WEBHOOKS="[1, 2]"))
