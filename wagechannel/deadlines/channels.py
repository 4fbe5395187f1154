"""How a reminder leaves: the in-app inbox (nothing to send), SMTP e-mail, and the group robots
of WeCom (企业微信) and DingTalk (钉钉) as webhooks.

Every sender raises ChannelError with a short reason on failure; the outbox (reminders.py)
records it and tries again later. A failure of the server itself (it cannot be reached) is a
`Unreachable`: the rest of this tick's messages to the same server wait for the next tick
instead of each waiting out the timeout.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

from wagechannel.deadlines.settings import ReminderSettings, SmtpSettings, Webhook

TIMEOUT_SECONDS = 10
WEBHOOK_ADDRESS = re.compile(r"^org:(\d+)$")
_LINK_LINE = re.compile(r"^(?P<label>[^：\n]{1,40})：(?P<url>https?://\S+)$", re.MULTILINE)
SENDER_NAME = "农民工讨薪绿色通道"


class ChannelError(Exception):
    """The message was not delivered; `str(error)` says why (kept, at most 256 characters)."""


class Unreachable(ChannelError):
    """The server did not answer at all: leave its other messages for the next tick."""


def markdown(subject: str, body: str) -> str:
    """The plain body as group-robot markdown: the subject bold, "标签：https://…" lines as links."""
    text = _LINK_LINE.sub(lambda m: f"[{m.group('label')}]({m.group('url')})", body.strip())
    return f"**{subject}**\n\n" + text.replace("\n", "\n\n")


def wecom_payload(subject: str, body: str) -> dict[str, Any]:
    """企业微信群机器人 markdown message."""
    return {"msgtype": "markdown", "markdown": {"content": markdown(subject, body)}}


def dingtalk_payload(subject: str, body: str) -> dict[str, Any]:
    """钉钉群机器人 markdown message (the title shows in the notification)."""
    return {"msgtype": "markdown", "markdown": {"title": subject[:64],
                                                "text": markdown(subject, body)}}


def dingtalk_signed(url: str, secret: str | None, now_ms: int | None = None) -> str:
    """A robot with 加签 wants timestamp and sign (HMAC-SHA256 of "timestamp\\nsecret")."""
    if not secret:
        return url
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def post_json(url: str, payload: dict[str, Any]) -> None:
    """POST the payload; both robots answer {"errcode": 0, ...} when they took the message."""
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as error:
        raise ChannelError(f"机器人地址回答 HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise Unreachable(f"连不上机器人地址：{reason}") from None
    try:
        answer = json.loads(raw.decode("utf-8") or "{}")
    except ValueError:
        return  # 2xx without JSON: taken
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        raise ChannelError(f"机器人拒收：{answer.get('errcode')} {answer.get('errmsg', '')}"[:256])


def send_webhook(channel: str, webhook: Webhook, subject: str, body: str) -> None:
    if channel == "wecom":
        post_json(webhook.url, wecom_payload(subject, body))
    else:
        post_json(dingtalk_signed(webhook.url, webhook.secret), dingtalk_payload(subject, body))


class Mailer:
    """One SMTP connection for a tick's e-mails, opened on the first and reconnected once if the
    server dropped it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        secure = s.tls == "ssl" or (s.tls == "auto" and s.port == 465)
        try:
            if secure:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=TIMEOUT_SECONDS,
                    context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT_SECONDS)
            connection.ehlo()
            if not secure and (s.tls == "starttls" or
                               (s.tls == "auto" and connection.has_extn("starttls"))):
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
                secure = True
            if s.user:
                if not secure and not _loopback(s.host):
                    connection.close()
                    raise ChannelError("邮件服务器不支持加密连接，不能发送密码（请设置 SMTP_TLS）")
                connection.login(s.user, s.password or "")
        except ChannelError:
            raise
        except smtplib.SMTPAuthenticationError:
            raise ChannelError("邮件服务器拒绝了用户名或密码") from None
        except (OSError, smtplib.SMTPException) as error:
            raise Unreachable(f"连不上邮件服务器 {s.host}:{s.port}：{error}"[:256]) from None
        return connection

    def send(self, address: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = formataddr((SENDER_NAME, self.settings.sender))
        message["To"] = address
        message.set_content(body)
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            try:
                refused = self.connection.send_message(message)
            except smtplib.SMTPServerDisconnected:
                self.connection = None
                if attempt == 2:
                    raise Unreachable("邮件服务器断开了连接") from None
                continue
            except smtplib.SMTPRecipientsRefused:
                raise ChannelError(f"邮件服务器拒收这个地址：{address}"[:256]) from None
            except smtplib.SMTPResponseException as error:
                raise ChannelError(f"邮件服务器拒收：{error.smtp_code} "
                                   f"{error.smtp_error.decode(errors='replace')}"[:256]) from None
            except (OSError, smtplib.SMTPException) as error:
                self.connection = None
                raise Unreachable(f"发送邮件失败：{error}"[:256]) from None
            if refused:
                raise ChannelError(f"邮件服务器拒收这个地址：{address}"[:256])
            return

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None


def _loopback(host: str) -> bool:
    try:
        return all(info[4][0] in ("127.0.0.1", "::1") or info[4][0].startswith("127.")
                   for info in socket.getaddrinfo(host, None))
    except OSError:
        return False


class Senders:
    """The senders of one delivery round (a mailer kept open across its e-mails)."""

    def __init__(self, settings: ReminderSettings) -> None:
        self.settings = settings
        self._mailer: Mailer | None = None

    def send(self, channel: str, address: str | None, subject: str, body: str) -> None:
        if channel == "inapp":
            return
        if channel == "email":
            if self.settings.smtp is None:
                raise ChannelError("没有设置邮件服务器（WAGECHANNEL_SMTP_HOST）")
            if not address:
                raise ChannelError("没有收件地址")
            if self._mailer is None:
                self._mailer = Mailer(self.settings.smtp)
            self._mailer.send(address, subject, body)
            return
        if channel in ("wecom", "dingtalk"):
            match = WEBHOOK_ADDRESS.match(address or "")
            hook = self.settings.channels_of(int(match.group(1))).get(channel) if match else None
            if hook is None:
                raise ChannelError("这个机构没有设置这个群机器人（WAGECHANNEL_WEBHOOKS）")
            send_webhook(channel, hook, subject, body)
            return
        raise ChannelError(f"不认识的发送方式：{channel}")

    def target(self, channel: str, address: str | None) -> str:
        """Which server a message goes to: after one is unreachable, its others wait."""
        if channel == "email" and self.settings.smtp is not None:
            return f"smtp:{self.settings.smtp.host}:{self.settings.smtp.port}"
        return f"{channel}:{address}"

    def close(self) -> None:
        if self._mailer is not None:
            self._mailer.close()
            self._mailer = None
