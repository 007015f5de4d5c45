"""The Jinja2 environment of the row-heavy staff pages (我的任务, 搜索与筛选, the round overview).

Django's template engine spends tens of microseconds on every variable of a row; Jinja2
compiles a template to Python once, and a 50-row list renders several times faster. The pages
stay the same: ``jinja2/base.jinja`` mirrors ``templates/base.html`` (a test compares their
navbars), autoescaping is on (Django's backend sets it; user text is data), the CSRF input,
the messages and the inbox count come from the same context processors. Filters and tags are
the ones of ``templatetags.zhenggai`` and ``templatetags.supervision``, imported, not copied.
"""

from __future__ import annotations

import functools
from typing import Any

from django.forms.renderers import Jinja2 as Jinja2FormRenderer
from django.template.defaultfilters import truncatechars
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.html import json_script
from jinja2 import Environment
from markupsafe import escape

from .templatetags.supervision import clip, tier_badge, tier_name
from .templatetags.zhenggai import (
    closed_badge,
    field,
    get,
    isodate,
    overdue,
    overdue_badge,
    percent,
    problem_badge,
    status_badge,
    yuan,
    zdate,
    zdatetime,
)


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"')
    return "".join(out)


#: Django's widget templates that are ``input.html`` and nothing else (``tests/web`` holds them
#: to it, so a Django upgrade that changes one is noticed).
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input", "text", "checkbox", "date", "number", "email", "password", "search", "tel", "url", "hidden"
    )
)


class FormRenderer(Jinja2FormRenderer):
    """Django's Jinja2 form renderer (its own widget templates: the markup of the default
    renderer), with the select and the plain inputs written here: the same HTML, without a
    template lookup and include per widget and per option (a filter form has nine widgets and a
    select of every person and department the user may see)."""

    SELECT = "django/forms/widgets/select.html"

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name in INPUTS:
            w = context["widget"]
            value = "" if w["value"] is None else f' value="{escape(w["value"])}"'
            return f'<input type="{escape(w["type"])}" name="{escape(w["name"])}"{value}{_attrs(w["attrs"])}>'
        if template_name != self.SELECT:
            return str(super().render(template_name, context, request=request))
        w = context["widget"]
        html = [f'<select name="{escape(w["name"])}"{_attrs(w["attrs"])}>']
        for group, options, _index in w["optgroups"]:
            if group:
                html.append(f'\n  <optgroup label="{escape(group)}">')
            for o in options:
                value, label = escape(o["value"]), escape(o["label"])
                html.append(f'\n  <option value="{value}"{_attrs(o["attrs"])}>{label}</option>')
            if group:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return "".join(html)


#: Forms of these pages render their widgets with it: pass ``renderer=FORM_RENDERER`` to the
#: form. One engine per process.
FORM_RENDERER = FormRenderer()


@functools.lru_cache(maxsize=256)
def _reverse_plain(name: str, prefix: str) -> str:
    return reverse(name)


def url(name: str, *args: Any) -> str:
    """``{% url name arg… %}``; a URL without arguments is reversed once per process."""
    if not args:
        return _reverse_plain(name, get_script_prefix())
    return reverse(name, args=args)


def url_or_empty(name: str, *args: Any) -> str:
    """``{% url name arg… as var %}``: "" for a route that does not exist (an optional app)."""
    try:
        return url(name, *args)
    except NoReverseMatch:
        return ""


def environment(**options: Any) -> Environment:
    # User text is data: escaping is on whatever the settings say.
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.globals.update(
        static=static,
        url=url,
        url_or_empty=url_or_empty,
        field_parts=field,
        json_script=json_script,
        # A badge is the same HTML for the same key: made once per process, not once per row.
        tier_badge=functools.lru_cache(maxsize=64)(tier_badge),
        status_badge=functools.lru_cache(maxsize=64)(status_badge),
        problem_badge=functools.lru_cache(maxsize=64)(problem_badge),
        closed_badge=closed_badge,
        overdue_badge=overdue_badge,
    )
    env.filters.update(
        clip=clip,
        truncatechars=truncatechars,
        zdate=zdate,
        zdatetime=zdatetime,
        isodate=isodate,
        percent=percent,
        yuan=yuan,
        overdue=overdue,
        get=get,
        tier_name=tier_name,
    )
    return env
