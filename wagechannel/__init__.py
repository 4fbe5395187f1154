"""wagechannel: QR rights-notice boards that bring unpaid migrant workers to priority legal aid."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. Binds extensions and blueprints; never migrates or starts jobs."""
    from wagechannel.config import (Defaults, default_database_url, from_environment,
                                    instance_secret_key, private_folder)
    from wagechannel.resources import resource_dir

    settings: dict[str, Any] = {**from_environment(), **dict(config or {})}
    instance_path = settings.get("INSTANCE_PATH") or os.environ.get("WAGECHANNEL_INSTANCE_PATH")
    app = Flask(__name__, template_folder=str(resource_dir("templates")),
                static_folder=str(resource_dir("static")), static_url_path="/static",
                instance_path=os.path.abspath(instance_path) if instance_path else None)
    app.config.from_object(Defaults)
    app.config.update(settings)
    if not app.config.get("DATABASE_URL"):
        private_folder(app.instance_path)
        app.config["DATABASE_URL"] = default_database_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    from wagechannel import crypto
    crypto.configure(crypto.keys_from_config(app.config, app.instance_path))
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  (Chinese messages stay readable)

    from wagechannel import models  # noqa: F401  (complete metadata before first use)
    from wagechannel.extensions import csrf, db, limiter, login_manager

    from wagechannel.routing import BoundedIntConverter
    app.url_map.converters["int"] = BoundedIntConverter  # ids beyond the database's integers: 404

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from wagechannel.accounts.views import bp as accounts_bp
    from wagechannel.boards.views import bp as boards_bp
    from wagechannel.bureau.views import bp as bureau_bp
    from wagechannel.cases.api import bp as cases_api_bp
    from wagechannel.cases.views import bp as cases_bp
    from wagechannel.deadlines.views import bp as deadlines_bp
    from wagechannel.errors import register_error_handlers
    from wagechannel.intake.api import bp as api_bp
    from wagechannel.intake.views import bp as intake_bp
    from wagechannel.places.views import bp as places_bp
    from wagechannel.reports.views import bp as reports_bp

    for blueprint in (accounts_bp, places_bp, boards_bp, intake_bp, api_bp, cases_bp,
                      reports_bp, deadlines_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(cases_api_bp)
    app.register_blueprint(bureau_bp)
    csrf.exempt(api_bp)
    csrf.exempt(cases_api_bp)  # a Bearer token only, never the session cookie: no CSRF
    register_error_handlers(app)
    from wagechannel.security import register_security_headers
    register_security_headers(app)

    from wagechannel.templating import register_template_helpers
    register_template_helpers(app)
    proxies = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if proxies:
        # Behind nginx: the worker's address (for rate limits and the audit log) comes from
        # X-Forwarded-For, trusting exactly that many proxies.
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app
