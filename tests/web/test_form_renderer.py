"""The staff pages' form renderer writes the select and the plain inputs by hand: the HTML must
be exactly what Django's own Jinja2 renderer gives, for every widget it takes over."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import django
import pytest
from django import forms
from django.forms.renderers import Jinja2

from zhenggai.web.jinja import FORM_RENDERER, INPUTS

WIDGETS = Path(django.__file__).parent / "forms" / "jinja2"


class Everything(forms.Form):
    text = forms.CharField(max_length=20, required=False, help_text="说明")
    number = forms.IntegerField(min_value=1, required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    email = forms.EmailField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    flag = forms.BooleanField(required=False)
    pick = forms.ChoiceField(
        choices=[("", "全部"), ("a&b", '<甲> "乙"'), ("组", [("x", "X"), ("y", "Y")])], required=False
    )
    search = forms.CharField(
        widget=forms.TextInput(attrs={"type": "search", "data-x": '"<>&'}), required=False
    )


@pytest.mark.parametrize("template", sorted(INPUTS))
def test_each_input_template_is_djangos_input(template: str) -> None:
    body = (WIDGETS / template).read_text().strip()
    if template.endswith("/input.html"):
        assert body.startswith('<input type="{{ widget.type }}" name="{{ widget.name }}"')
        assert '{% include "django/forms/widgets/attrs.html" %}' in body
    else:
        assert body == '{% include "django/forms/widgets/input.html" %}'


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": '<script>"x"&', "number": "3", "day": "2026-12-06", "email": "a@b.cn", "secret": "s",
         "hidden": "h\"", "flag": "on", "pick": "a&b", "search": "'q'"},
        {"text": "", "number": "零", "pick": "y", "flag": ""},
    ],
)
def test_the_same_html_as_djangos_renderer(data: dict[str, str] | None) -> None:
    ours = Everything(data, renderer=FORM_RENDERER, initial={"day": dt.date(2026, 1, 2)})
    theirs = Everything(data, renderer=Jinja2(), initial={"day": dt.date(2026, 1, 2)})
    if data is not None:
        ours.is_valid()
        theirs.is_valid()
    for name in Everything.base_fields:
        assert str(ours[name]) == str(theirs[name]), name
    if data and data.get("text"):
        assert 'value="&lt;script&gt;&#34;x&#34;&amp;"' in str(ours["text"])
